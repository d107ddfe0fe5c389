# Lifecycle Lab — the one entry point. GitHub Actions, Jenkins and people all call these
# targets, so what a pipeline runs is exactly what you can run here.
# Each concern keeps its targets in mk/<concern>.mk; `make help` lists them all.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

# uv's version is written once, in pyproject.toml ([tool.uv] required-version); read it here.
UV_VERSION := $(shell sed -n 's/^required-version = "==\(.*\)"/\1/p' pyproject.toml)
VENV       ?= .venv
PY         := $(VENV)/bin/python
PORT       ?= 8000
export UV_SYSTEM_CERTS ?= 1
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: help
help: ## list every target with one line each
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[36m%-20s\033[0m %s\n", $$1, $$2}' \
		$(MAKEFILE_LIST) | sort

include mk/*.mk

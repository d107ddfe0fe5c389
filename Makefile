# Lifecycle Lab — the one entry point. GitHub Actions, Jenkins and people all call these
# targets, so what a pipeline runs is exactly what you can run here.
# Each concern keeps its targets in mk/<concern>.mk; `make help` lists the ones to start from.

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

# `make help` (the default target) lists the targets to start from, by lifecycle stage.
# In the mk/ files, a `##@ stage` line starts a group, and a target whose line ends in
# `## what it does` is listed in the group above it ("other" if there is none in its file).
# Groups and targets print in file order. Plumbing (targets that other targets and the
# pipelines call) has a plain `# comment` instead: callable, not listed.
.PHONY: help
help: # the targets to start from, by lifecycle stage
	@awk 'FNR == 1 { group = "other" } \
		/^##@ / { group = substr($$0, 5); next } \
		/^[a-zA-Z0-9_-]+:.*## / { \
			if (!(group in listed)) order[++groups] = group; \
			split($$0, part, /:.*## /); \
			listed[group] = listed[group] sprintf("  \033[36m%-17s\033[0m %s\n", part[1], part[2]); \
		} \
		END { \
			for (i = 1; i <= groups; i++) printf "%s\n%s\n", order[i], listed[order[i]]; \
			print "Plumbing targets (called by these and by CI) are in mk/*.mk."; \
		}' $(MAKEFILE_LIST)

# In lifecycle order, which is the order of `make help`; core.mk comes first (it defines
# what the others use). tests/contract/test_ci_contract.py fails if a file is left out.
include mk/core.mk mk/validate.mk mk/docs.mk mk/browser.mk mk/ci.mk mk/container.mk \
	mk/release.mk mk/k8s.mk mk/ansible.mk mk/terraform.mk mk/monitoring.mk mk/ml.mk

# Containers: build the image, run it as a user would (e2e), validate Dockerfile and compose.
# Details and machine notes: docs/containers.md.

.PHONY: image e2e validate-docker print-image podman-setup base-image

# The image name, defined once. Other parts (k8s contract tests) read it via `make -s print-image`.
IMAGE ?= localhost/lifecycle-lab
TAG   ?= $(IMAGE_REVISION_SHORT)

# docker when an engine answers, else podman. Detected on first use only (a plain ?= with
# $(shell) would ask docker on every make call, even `make help`).
CONTAINER_ENGINE ?= $(eval CONTAINER_ENGINE := $(shell \
	command -v docker >/dev/null && timeout 10 docker info >/dev/null 2>&1 && echo docker || echo podman))$(CONTAINER_ENGINE)

# The base image. IMAGE_BASE=auto uses PYTHON_IMAGE when it is present or can be pulled,
# otherwise builds and uses LOCAL_PYTHON_IMAGE (scripts/base-image.sh: no registry needed).
# IMAGE_BASE=default / IMAGE_BASE=local force one of the two. PYTHON_IMAGE's default is the
# Dockerfile's own ARG default (read from there, so the two cannot drift).
IMAGE_BASE         ?= auto
PYTHON_IMAGE       ?= $(shell sed -n 's/^ARG PYTHON_IMAGE=//p' docker/Dockerfile)
LOCAL_PYTHON_IMAGE ?= localhost/python-base:bookworm

# Size limits (MB) the e2e test enforces, per base: the slim base is the target, the local
# debootstrap base carries a full Debian python3 (+ pip) and is larger.
IMAGE_MAX_MB_default ?= 150
IMAGE_MAX_MB_local   ?= 200

# Build metadata, from the one place each lives: pyproject (version) and git (revision, date).
# The created date is the commit date, so two builds of one commit carry the same labels.
# `:=` evaluates once per make run: `make e2e` tests exactly the revision it built, even if
# HEAD moves meanwhile.
IMAGE_VERSION        := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -n 1)
IMAGE_REVISION       := $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
IMAGE_REVISION_SHORT := $(shell git rev-parse --short HEAD 2>/dev/null || echo dev)
IMAGE_COMMITTED      := $(shell TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null || echo unknown)
IMAGE_CREATED        := $(IMAGE_COMMITTED)
# The repository's web address: git@host:o/r and https://user:token@host/o/r both become
# https://host/o/r (credentials never reach a label); a non-URL remote (a local clone) keeps
# the Dockerfile's default.
IMAGE_SOURCE         := $(shell git remote get-url origin 2>/dev/null \
	| sed -E 's#^git@([^:]+):#https://\1/#; s#//[^/@]*@#//#; s#\.git$$##' | grep '^https://')

# Stop grace for the e2e SIGTERM check: must exceed DRAIN_SECONDS + GRACEFUL_TIMEOUT (5 + 20).
STOP_GRACE ?= 30

# The chosen base (default|local) is written here by `make image`; e2e reads it back.
IMAGE_BASE_FILE = build/image-base

print-image: # print the image name (without tag) — the one definition others read
	@echo $(IMAGE)

podman-setup: # configure podman for this machine (runc, ulimits); idempotent
	@if [ "$(CONTAINER_ENGINE)" = podman ]; then scripts/setup-podman.sh; fi

base-image: # build the local Python base image (debootstrap) unless it exists
	CONTAINER_ENGINE=$(CONTAINER_ENGINE) BASE_IMAGE=$(LOCAL_PYTHON_IMAGE) scripts/base-image.sh

##@ deliver and deploy

image: podman-setup ## build $(IMAGE):$(TAG) with docker or podman (IMAGE_BASE=auto|default|local)
	@base=$(IMAGE_BASE); \
	if [ "$$base" = auto ]; then \
		if $(CONTAINER_ENGINE) image inspect $(PYTHON_IMAGE) >/dev/null 2>&1 \
			|| $(CONTAINER_ENGINE) pull -q $(PYTHON_IMAGE) >/dev/null 2>&1; then base=default; \
		else echo "image: $(PYTHON_IMAGE) cannot be pulled here; using the local base"; base=local; fi; \
	fi; \
	if [ "$$base" = local ]; then \
		CONTAINER_ENGINE=$(CONTAINER_ENGINE) BASE_IMAGE=$(LOCAL_PYTHON_IMAGE) scripts/base-image.sh; \
		from=$(LOCAL_PYTHON_IMAGE); \
	else from=$(PYTHON_IMAGE); fi; \
	format=; [ "$(CONTAINER_ENGINE)" = podman ] && format="--format docker"; \
	echo "image: $(CONTAINER_ENGINE) build $(IMAGE):$(TAG) from $$from"; \
	$(CONTAINER_ENGINE) build $$format -f docker/Dockerfile \
		--build-arg PYTHON_IMAGE=$$from \
		--build-arg VERSION=$(IMAGE_VERSION) \
		--build-arg REVISION=$(IMAGE_REVISION) \
		--build-arg CREATED=$(IMAGE_CREATED) \
		--build-arg COMMITTED=$(IMAGE_COMMITTED) \
		$(if $(IMAGE_SOURCE),--build-arg SOURCE=$(IMAGE_SOURCE)) \
		-t $(IMAGE):$(TAG) . ; \
	mkdir -p $(dir $(IMAGE_BASE_FILE)); echo $$base > $(IMAGE_BASE_FILE)

##@ test

e2e: setup image ## build the image, run it read-only and non-root, smoke-test it, SIGTERM it, compose wiring
	E2E=1 CONTAINER_ENGINE=$(CONTAINER_ENGINE) E2E_IMAGE=$(IMAGE):$(TAG) \
		E2E_IMAGE_VERSION=$(IMAGE_VERSION) E2E_IMAGE_REVISION=$(IMAGE_REVISION) \
		E2E_IMAGE_MAX_MB=$(IMAGE_MAX_MB_$(shell cat $(IMAGE_BASE_FILE))) E2E_STOP_GRACE=$(STOP_GRACE) \
		E2E_BASE_IMAGE=$(if $(filter local,$(shell cat $(IMAGE_BASE_FILE))),$(LOCAL_PYTHON_IMAGE),$(PYTHON_IMAGE)) \
		$(PY) -m pytest tests/e2e -v -p no:cacheprovider
	@echo "e2e: $(IMAGE):$(TAG) is $$(( $$($(CONTAINER_ENGINE) image inspect --format '{{.Size}}' $(IMAGE):$(TAG)) / 1000000 )) MB (base: $$(cat $(IMAGE_BASE_FILE)))"

# hadolint, the compose-spec schema, promtool and amtool on compose's mounts run in the tests
# (each also shown failing on a broken input); the Python-only contracts are in `make test`.
validate-docker: setup # checkov (Dockerfile), hadolint, compose-spec schema, promtool/amtool on what compose mounts
	$(VENV)/bin/checkov --quiet --compact --skip-download --framework dockerfile \
		-f docker/Dockerfile -f docker/locust.Dockerfile
	$(PY) -m pytest -p no:cacheprovider -q tests/infra/test_dockerfile_tools.py tests/infra/test_compose_tools.py

# locust for the compose stack (docker/compose.yaml's `locust` service). The serving image
# stays lean, so the load generator has an image of its own: the `load` dependency group of
# uv.lock (locust and what it needs, as locked) and nothing else. The locustfile and what it
# reads (ml/, data/) are mounted by compose, not copied: edit, restart, no rebuild.
#   docker compose -f docker/compose.yaml build locust
# Same base image argument as docker/Dockerfile (a local base where none can be pulled).
# checkov:skip=CKV_DOCKER_7: the FROM tag is ARG PYTHON_IMAGE, whose default is a versioned tag
ARG PYTHON_IMAGE=docker.io/library/python:3.12-slim-bookworm

# ---------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder

ENV UV_SYSTEM_CERTS=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /build
COPY pyproject.toml uv.lock ./
# uv at pyproject.toml's required-version, in a venv of its own that stays in this stage.
RUN uv_version="$(sed -n 's/^required-version = "==\(.*\)"$/\1/p' pyproject.toml)" \
    && test -n "$uv_version" \
    && python3 -m venv /opt/uv \
    && /opt/uv/bin/pip install --no-cache-dir "uv==${uv_version}"
# --only-group load: locust as locked, without the project or any other group.
RUN /opt/uv/bin/uv sync --frozen --only-group load --no-install-project --python python3 \
    && /opt/venv/bin/locust --version

# ---------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

# HOME=/tmp: the numeric user has no home, and the root file system is read-only.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp

COPY --from=builder /opt/venv /opt/venv
WORKDIR /repo
USER 10001:10001
# A client, not a server: no port to publish and nothing to health-check.
HEALTHCHECK NONE
ENTRYPOINT ["locust"]

# Core: environment, run, quality, tests, benchmark.

.PHONY: setup run lint fmt test test-unit test-integration bench clean

# uv from the PATH, or a private copy in .tools/ (a venv: works where the system Python
# refuses `pip install`, as Debian's and Ubuntu's do).
UV ?= $(or $(shell command -v uv 2>/dev/null),.tools/uv/bin/uv)
# ...and on the PATH of every recipe and test, so they find the same uv.
export PATH := $(CURDIR)/.tools/uv/bin:$(PATH)

.tools/uv/bin/uv:
	python3 -m venv .tools/uv
	.tools/uv/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-groups
	@touch $@

setup: $(VENV)/.synced ## create .venv with every Python dependency from uv.lock (idempotent)

run: setup ## serve the app under gunicorn on $PORT (default 8000) with the active model
	GIT_SHA=$$(git rev-parse --short HEAD 2>/dev/null || echo unknown) \
		$(VENV)/bin/gunicorn --config app/gunicorn.conf.py "app:create_app()"

lint: setup ## ruff, bandit, yamllint, shellcheck (hadolint and friends run in `make validate`)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit --quiet --severity-level medium --recursive app ml scripts
	$(VENV)/bin/yamllint --strict .
	git ls-files -z -- '*.sh' '.ci/run' | xargs -0 -r $(VENV)/bin/shellcheck

fmt: setup ## format the Python code
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: setup ## the test suite: unit, integration (real gunicorn, real Prometheus), infra contracts
	$(PY) -m pytest

test-unit: setup ## only the fast unit tests
	$(PY) -m pytest tests/unit

bench: setup ## benchmark: this app vs a bare Flask app and vs prometheus_flask_exporter, same gunicorn, ratios (BENCH_ARGS=--control adds an A/A case)
	$(PY) scripts/bench.py $(BENCH_ARGS)

clean: ## remove caches and build output (keeps .venv)
	rm -rf build dist .pytest_cache .ruff_cache .hypothesis reports

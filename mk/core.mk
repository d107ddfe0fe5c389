# Core: the develop loop (run, the fast tier, lint, format, setup) and the full tier.

.PHONY: setup hooks run lint fmt test check print-check-parts test-unit test-integration bench profile clean

# uv from the PATH, or a private copy in .tools/ (a venv: works where the system Python
# refuses `pip install`, as Debian's and Ubuntu's do).
UV ?= $(or $(shell command -v uv 2>/dev/null),.tools/uv/bin/uv)
# ...and on the PATH of every recipe and test, so they find the same uv.
export PATH := $(CURDIR)/.tools/uv/bin:$(PATH)

.tools/uv/bin/uv:
	python3 -m venv .tools/uv
	.tools/uv/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

# Each target installs the dependency groups it uses (pyproject.toml), and no more: `make run`
# gets the serving dependencies and Swagger UI, `make train` adds the ml group, and checkov,
# ansible and the rest arrive with the first `make validate` or `make test`. One stamp per
# group; --inexact keeps what earlier targets installed. "serve" is the project alone.
# --compile-bytecode writes every .pyc once, at install: the tests start hundreds of Python
# processes, and where PYTHONDONTWRITEBYTECODE is set (as on the CI machine) each of them would
# otherwise compile MLflow, ansible or checkov from source again (a registry test: 9.7 s -> 4.4 s).
synced = $(foreach group,$(1),$(VENV)/.synced-$(group))
DEPENDENCY_GROUPS := serve api-docs dev load ml infra

$(VENV)/.synced-%: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --inexact --compile-bytecode --no-default-groups $(if $(filter serve,$*),,--group $*)
	@touch $@

##@ develop

run: $(call synced,serve api-docs) ## serve the app under gunicorn on $PORT (default 8000) with the active model
	GIT_SHA=$$(git rev-parse --short HEAD 2>/dev/null || echo unknown) GIT_COMMIT_TIME=$(IMAGE_COMMITTED) \
		$(PY) -m app

# Two test tiers. Where a test module lives says which tier runs it:
#   make test   the fast loop, after every change (at most 90 s, needs only Python):
#               tests/unit, tests/contract (artifacts held against the app, read as data)
#               and tests/integration/test_gunicorn.py (the app under a real gunicorn).
#               pyproject's testpaths are exactly this, so a bare `pytest` is `make test`.
#   make check  the full tier, before you push: lint, then every module that needs a real
#               tool or a real server, each run once by the one target that owns it -
#               tests/infra/* by its `validate-<area>` target, tests/docs by validate-docs
#               and test-docs, tests/integration (but test_gunicorn.py) by test-integration,
#               tests/browser by test-browser, tests/e2e by e2e, tests/release by
#               test-release (podman and the release loop's tools), plus the Ansible converge
#               and the Jenkins agent's toolchain (agent-toolchain, in mk/ci.mk).
# Directories rather than markers: `ls tests/contract` shows the fast contracts, and a test
# that needs promtool or kubectl goes to tests/infra, beside its Python-only counterpart.
# CHECK_PARTS is the one list of the pipeline's stages: .ci/run calls `make check`,
# `make pipeline` asks `make print-check-parts` for it, and tests/contract/test_ci_contract.py
# fails when ci.yml or the Jenkinsfile (which fan out into jobs) run a part more or less.
CHECK_PARTS := lint validate test-docs test-integration test-browser e2e ansible-test release-demo \
	test-release agent-toolchain
# Parts to leave out of this run, because the caller runs them itself (.ci/run runs the
# Ansible converge, the release loop and the Jenkins agent beside the others):
# make check CHECK_SKIP="ansible-test release-demo agent-toolchain"
CHECK_SKIP  ?=

# pytest-xdist runs test files side by side, one process per core (at most four: each imports
# scikit-learn and MLflow); a file's tests stay together, so its module fixtures run once.
# make test and test-unit use it; TEST_PARALLEL= runs files one by one.
TEST_PARALLEL ?= --numprocesses=auto --maxprocesses=4 --dist=loadfile
# The integration tests mostly wait - for alert windows, locust's run-times, servers to start
# (a 2-core machine sat 59 % idle under two workers) - so they get four workers on any machine.
INTEGRATION_PARALLEL ?= --numprocesses=4 --dist=loadfile

test: setup ## the fast tier (<= 90 s, Python only): unit, the app under real gunicorn, contracts
	@started=$$SECONDS; status=0; \
	$(PY) -m pytest $(TEST_PARALLEL) --durations=5 || status=$$?; \
	echo "make test: $$((SECONDS - started)) s (the fast tier; \`make check\` runs the rest)"; \
	exit $$status

lint: setup ## ruff, bandit, yamllint, shellcheck (hadolint and friends run in `make validate`)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit --quiet --severity-level medium --recursive app model_registry ml scripts
	$(VENV)/bin/yamllint --strict .
	git ls-files -z -- '*.sh' '.ci/run' | xargs -0 -r $(VENV)/bin/shellcheck

fmt: setup ## format the Python code
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# pre-commit comes with the dev group; the hooks run the tools of .venv (.pre-commit-config.yaml).
hooks: $(call synced,dev) ## install the git hooks: lint before each commit, a conventional subject for each message
	$(VENV)/bin/pre-commit install --hook-type pre-commit --hook-type commit-msg

setup: $(call synced,$(DEPENDENCY_GROUPS)) ## create .venv with every Python dependency from uv.lock (idempotent); `make tools` adds the Node validators

##@ test

# The full tier: each part of CHECK_PARTS (above) in turn, timed.
check: setup ## the full tier, before you push: lint, validate, labs, real servers, browser, e2e, converge, Jenkins agent
	@started=$$SECONDS; \
	for part in $(filter-out $(CHECK_SKIP),$(CHECK_PARTS)); do \
		echo "==> make check: $$part"; part_started=$$SECONDS; \
		$(MAKE) $$part || { echo "make check: $$part FAILED"; exit 1; }; \
		echo "==> make check: $$part ok in $$((SECONDS - part_started)) s"; \
	done; \
	echo "make check: $(words $(filter-out $(CHECK_SKIP),$(CHECK_PARTS))) parts in $$((SECONDS - started)) s"

# Plumbing (not in `make help`): the list above, for scripts/pipeline.py and the CI contracts.
print-check-parts:
	@echo $(CHECK_PARTS)

test-integration: setup # the app with real neighbours: Prometheus + Alertmanager (the monitoring story), k8s scripts, wrk
	$(PY) -m pytest -p no:cacheprovider $(INTEGRATION_PARALLEL) tests/integration \
		--ignore=tests/integration/test_gunicorn.py

test-unit: setup # only the unit tests
	$(PY) -m pytest $(TEST_PARALLEL) tests/unit

bench: setup ## benchmark: this app vs a bare Flask app and vs prometheus_flask_exporter, same gunicorn, ratios (BENCH_ARGS=--control adds an A/A case)
	$(PY) scripts/bench.py $(BENCH_ARGS)

profile: setup # where a request's time goes, library by library (cProfile, in-process; PROFILE_ARGS="--path /api/v1/predict")
	PYTHONPATH=. $(PY) scripts/profile_request.py $(PROFILE_ARGS)

clean: # remove caches and build output (keeps .venv)
	rm -rf build dist .pytest_cache .ruff_cache .hypothesis reports

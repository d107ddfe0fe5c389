# Monitoring: Prometheus rules and their tests, Alertmanager routes, Grafana dashboards,
# the load generator and the local demo stack. See docs/monitoring.md.

.PHONY: demo load load-ui validate-monitoring

DEMO_ARGS ?=

##@ monitor

demo: setup ## app + Prometheus + Alertmanager + drift bridge + locust traffic here, no Docker; Ctrl-C stops all
	$(PY) scripts/demo.py $(DEMO_ARGS)

# locust (scripts/locustfile.py): MIX names one of its user classes, <Mix>User.
MIX       ?= normal
LOAD_URL  ?= http://127.0.0.1:$(or $(PORT),8000)
LOAD_ARGS ?= --users 10 --spawn-rate 5 --run-time 60s
LOAD_USER  = $(shell mix=$(MIX); echo "$${mix^}User")

load: $(call synced,load) ## traffic for the running app with locust, headless: MIX=normal|drift|chaos|slow; CSV stats in build/locust/
	@mkdir -p build/locust
	$(VENV)/bin/locust -f scripts/locustfile.py --host $(LOAD_URL) --headless $(LOAD_ARGS) \
		--csv build/locust/$(MIX) --only-summary $(LOAD_USER)

LOCUST_PORT ?= 8089

load-ui: $(call synced,load) # locust's web UI on http://127.0.0.1:$LOCUST_PORT (8089) for the running app: pick a mix, start, watch
	$(VENV)/bin/locust -f scripts/locustfile.py --host $(LOAD_URL) --web-host 127.0.0.1 \
		--web-port $(LOCUST_PORT) --class-picker

# promtool check config / check rules / test rules and amtool check-config / config routes
# test run inside the two test modules, which also count what the tools saw. The dashboards
# (Grafana's SDK, a Python library) and the rules' own rules are Python-only: `make test`.
validate-monitoring: setup # promtool check config/rules + rule unit tests, amtool check-config and routing tree
	$(PY) -m pytest -p no:cacheprovider -q tests/infra/test_prometheus_tools.py \
		tests/infra/test_alertmanager_tools.py

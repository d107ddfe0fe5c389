# Monitoring: Prometheus rules and their tests, Alertmanager routes, Grafana dashboards,
# the load generator and the local demo stack. See docs/monitoring.md.

.PHONY: demo loadgen validate-monitoring

LOADGEN_ARGS ?= --mode normal --rate 10 --duration 60
DEMO_ARGS    ?=

##@ monitor

demo: setup ## app + Prometheus + Alertmanager + drift bridge + load generator here, no Docker; Ctrl-C stops all
	$(PY) scripts/demo.py $(DEMO_ARGS)

loadgen: # traffic for the running app: LOADGEN_ARGS="--mode normal|errors|slow|drift --rate 10 --duration 60"
	python3 scripts/loadgen.py $(LOADGEN_ARGS)

# promtool check config / check rules / test rules and amtool check-config / config routes
# test run inside the two test modules, which also count what the tools saw. The dashboards
# (Grafana's SDK, a Python library) and the rules' own rules are Python-only: `make test`.
validate-monitoring: setup # promtool check config/rules + rule unit tests, amtool check-config and routing tree
	$(PY) -m pytest -p no:cacheprovider -q tests/infra/test_prometheus_tools.py \
		tests/infra/test_alertmanager_tools.py

# Monitoring: Prometheus rules and their tests, Alertmanager routes, Grafana dashboards,
# the load generator and the local demo stack. See docs/monitoring.md.

.PHONY: demo loadgen validate-monitoring

PROMTOOL ?= promtool
AMTOOL   ?= amtool
LOADGEN_ARGS ?= --mode normal --rate 10 --duration 60
DEMO_ARGS    ?=

demo: setup ## app + Prometheus + Alertmanager + drift bridge + load generator here, no Docker; Ctrl-C stops all
	$(PY) scripts/demo.py $(DEMO_ARGS)

loadgen: ## traffic for the running app: LOADGEN_ARGS="--mode normal|errors|slow|drift --rate 10 --duration 60"
	python3 scripts/loadgen.py $(LOADGEN_ARGS)

validate-monitoring: setup ## promtool check/test rules, amtool check-config and routes, dashboards via Grafana SDK
	cd monitoring/prometheus && $(PROMTOOL) check config prometheus.yml
	$(PROMTOOL) check rules monitoring/prometheus/rules/*.yml
	$(PROMTOOL) test rules monitoring/prometheus/tests/*.yml
	$(AMTOOL) check-config monitoring/alertmanager/alertmanager.yml
	$(PY) -m pytest -q tests/infra/test_monitoring_rules.py tests/infra/test_monitoring_alertmanager.py \
		tests/infra/test_monitoring_dashboards.py

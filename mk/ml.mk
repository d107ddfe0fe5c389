# MLOps: the training pipeline (ml/), the data (data/) and the model registry (models/).
# `train` and `evaluate` never touch models/; only register/promote/rollback/decommission and
# retrain change the registry, and those are the changes you commit.

.PHONY: experiments experiments-env train evaluate register retrain promote rollback decommission simulate-drift \
	drift-check ml-status ml-sync validate-ml test-ml

##@ ML

train: $(call synced,ml) ## train a candidate model into build/ml/candidate.json (registry untouched)
	$(PY) -m ml train

# MLflow's UI on the runs that train/evaluate/register record (ml/tracking.py): build/mlflow/,
# or the server MLFLOW_TRACKING_URI names. The server gets a uv tool environment of its own.
MLFLOW_PORT ?= 5000
experiments: $(call synced,ml) ## the MLflow UI on the recorded runs: http://127.0.0.1:$MLFLOW_PORT (default 5000)
	$(PY) -m ml experiments --port $(MLFLOW_PORT)

experiments-env: $(call synced,ml) # install the MLflow UI server ahead of its first `make experiments` (CI does)
	$(PY) -m ml experiments --prepare

evaluate: $(call synced,ml) ## quality gate on the candidate: readable report, non-zero exit when it fails
	$(PY) -m ml evaluate

register: $(call synced,ml) ## gate the candidate, then add it to models/ as an archived version
	$(PY) -m ml register

retrain: $(call synced,ml) ## collect→preprocess→optimize→train→evaluate→register, promote if the gate passes
	$(PY) -m ml retrain

promote: $(call synced,ml) ## make VERSION the active model (make promote VERSION=v2)
	@test -n "$(VERSION)" || { echo "usage: make promote VERSION=vN"; exit 2; }
	$(PY) -m ml promote "$(VERSION)"

rollback: $(call synced,ml) ## re-activate the version the active model replaced
	$(PY) -m ml rollback

decommission: $(call synced,ml) ## retire VERSION for good (make decommission VERSION=v1)
	@test -n "$(VERSION)" || { echo "usage: make decommission VERSION=vN"; exit 2; }
	$(PY) -m ml decommission "$(VERSION)"

simulate-drift: $(call synced,ml) ## write a labelled batch from a shifted distribution to data/incoming/
	$(PY) -m ml simulate-drift

##@ monitor

drift-check: $(call synced,ml) ## input-bin shares and PSI of the newest data/incoming batch vs the active model
	$(PY) -m ml drift-check

##@ ML

ml-status: $(call synced,ml) ## the model registry: versions, status, last event; where MLflow's differs
	$(PY) -m ml status

ml-sync: $(call synced,ml) # mirror models/ into MLflow's model registry (alias champion = active)
	$(PY) -m ml sync-mlflow

# The schemas are model_registry's package data. index.json refers to model.json by its $id, a
# name that is never fetched: --base-uri makes check-jsonschema look for it next to index.json.
REGISTRY_SCHEMAS := model_registry/json_schemas

validate-ml: setup # model artifacts + registry index against their JSON Schema; every version loads
	$(VENV)/bin/check-jsonschema --check-metaschema $(REGISTRY_SCHEMAS)/model.json $(REGISTRY_SCHEMAS)/index.json
	$(VENV)/bin/check-jsonschema --schemafile $(REGISTRY_SCHEMAS)/model.json \
		$$(find models -name '*.json' ! -name index.json | sort)
	$(VENV)/bin/check-jsonschema --schemafile $(REGISTRY_SCHEMAS)/index.json \
		--base-uri "file://$(CURDIR)/$(REGISTRY_SCHEMAS)/index.json" models/index.json
	$(PY) -m ml verify

test-ml: setup # only the ML and model tests
	$(PY) -m pytest tests/unit/test_ml_*.py tests/unit/test_model_*.py -q

"""Experiment tracking: what a training run records in MLflow, and lineage both ways.

The store is the session's SQLite store (MLFLOW_TRACKING_URI, set in tests/unit/conftest.py),
read back through MLflow's own client, as the UI reads it. A real `mlflow server` and the UI
in a browser are the full tier's (tests/integration/test_mlflow_server.py,
tests/browser/test_mlflow_ui.py).
"""

import json
from pathlib import Path
from types import SimpleNamespace

import mlflow
import pandas as pd
import pytest
from mlflow.environment_variables import MLFLOW_DISABLE_TELEMETRY

from ml import mlflow_registry, tracking
from ml import train as train_stage
from ml.__main__ import main
from ml.evaluate import evaluate, report
from ml.registry import promote, register, rollback
from model_registry import load_version
from tests.helpers import free_port
from tests.unit.test_ml_support import make_workspace


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory):
    """train -> evaluate -> register -> promote, as `make retrain` does, then a rollback."""
    ws = make_workspace(tmp_path_factory.mktemp("tracked"))
    trained = train_stage.train(ws)
    tags = {}
    result = evaluate(ws)
    report(ws, result)
    client = mlflow.MlflowClient(tracking.tracking_uri(ws))
    run_id = trained.document["mlflow_run_id"]
    mirror = {}  # what MLflow's model registry says after each step
    with tracking.registry_tags(ws):
        register(ws.model_dir, ws.candidate_path)
    tags["registered"] = client.get_run(run_id).data.tags
    mirror["registered"] = mirrored(client, ws)
    with tracking.registry_tags(ws):
        promote(ws.model_dir, "v2")
    tags["promoted"] = client.get_run(run_id).data.tags
    mirror["promoted"] = mirrored(client, ws)
    champion = mlflow.pyfunc.load_model(f"models:/{ws.config['model']['name']}@champion")
    predictions = champion.predict(pd.read_csv(ws.base_csv).drop(columns="label").head(5))
    with tracking.registry_tags(ws):
        rollback(ws.model_dir)
    tags["rolled_back"] = client.get_run(run_id).data.tags
    mirror["rolled_back"] = mirrored(client, ws)
    return SimpleNamespace(
        ws=ws,
        trained=trained,
        result=result,
        client=client,
        run=client.get_run(run_id),
        tags=tags,
        mirror=mirror,
        predictions=predictions,
    )


def mirrored(client, ws) -> dict:
    """MLflow's registry, read back: the champion's registry version, each version's status
    and run. The store is shared by this process's tests: it is read right after each step."""
    name = ws.config["model"]["name"]
    champion = client.get_model_version_by_alias(name, "champion")
    index = json.loads((ws.model_dir / "index.json").read_text())
    versions = {}
    for mv in client.search_model_versions(f"name = '{name}'"):
        for version, entry in index["versions"].items():
            if mv.tags.get("registry.sha256") == entry["sha256"]:
                versions[version] = (mv.tags["registry.status"], mv.run_id)
    return {"champion": champion.tags["registry.version"], "versions": versions}


def test_the_run_holds_the_config_and_the_data_fingerprint(lifecycle):
    params = lifecycle.run.data.params
    assert (
        lifecycle.client.get_experiment(lifecycle.run.info.experiment_id).name
        == lifecycle.ws.config["model"]["name"]
    )
    assert params["split.seed"] == str(lifecycle.ws.config["split"]["seed"])
    assert params["optimization.grid.C"] == str(lifecycle.ws.config["optimization"]["grid"]["C"])
    assert params["model.fixed_params.max_iter"] == "2000"
    assert params["dataset_sha256"] == lifecycle.trained.collected.sha256
    assert params["dataset_rows"] == str(lifecycle.trained.document["dataset"]["rows"])
    assert params["config_sha256"] == lifecycle.trained.document["training"]["config_sha256"]
    assert params["git_sha"] == lifecycle.trained.document["git_sha"]


def test_every_trial_is_a_nested_run_with_its_cv_scores(lifecycle):
    children = lifecycle.client.search_runs(
        [lifecycle.run.info.experiment_id],
        f"tags.mlflow.parentRunId = '{lifecycle.run.info.run_id}'",
    )
    scoring = lifecycle.trained.search.scoring
    by_c = {child.data.params["C"]: child for child in children}
    assert sorted(by_c) == sorted(str(t["params"]["C"]) for t in lifecycle.trained.search.trials)
    for trial in lifecycle.trained.search.trials:
        child = by_c[str(trial["params"]["C"])]
        assert child.data.metrics[f"cv_{scoring}_mean"] == pytest.approx(trial["mean"])
        history = lifecycle.client.get_metric_history(child.info.run_id, f"cv_{scoring}")
        assert [m.value for m in sorted(history, key=lambda m: m.step)] == pytest.approx(
            trial["folds"]
        )


def test_holdout_metrics_and_artifacts_match_the_candidate(lifecycle):
    holdout = lifecycle.trained.document["metrics"]["holdout"]
    for name in ("accuracy", "macro_f1", "log_loss"):
        assert lifecycle.run.data.metrics[f"holdout_{name}"] == pytest.approx(holdout[name])
    assert lifecycle.run.info.status == "FINISHED"
    files = lifecycle.client.download_artifacts(
        lifecycle.run.info.run_id, "", str(lifecycle.ws.root / "downloaded")
    )
    downloaded = lifecycle.ws.root / "downloaded"
    assert files
    candidate = json.loads((downloaded / "model" / "candidate.json").read_text())
    assert candidate == lifecycle.trained.document
    for plot in ("confusion_matrix.png", "per_class_metrics.png"):
        assert (downloaded / "plots" / plot).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    evaluation = json.loads((downloaded / "gate" / "evaluate.json").read_text())
    assert evaluation["candidate"] == "v2" and evaluation["passed"] is True


def test_the_gate_verdict_and_checks_join_the_run(lifecycle):
    assert lifecycle.result.passed
    assert lifecycle.run.data.tags["gate.verdict"] == "passed"
    assert lifecycle.run.data.metrics["gate_passed"] == 1
    assert lifecycle.run.data.metrics["gate_accuracy"] == pytest.approx(
        lifecycle.result.metrics["accuracy"]
    )
    checks = lifecycle.client.download_artifacts(
        lifecycle.run.info.run_id, "gate/checks.json", str(lifecycle.ws.root)
    )
    assert json.loads(Path(checks).read_text()) == lifecycle.result.checks


def test_lineage_runs_both_ways(lifecycle):
    registered = load_version(lifecycle.ws.model_dir, "v2").document
    assert registered["mlflow_run_id"] == lifecycle.run.info.run_id
    assert lifecycle.tags["registered"]["registry.version"] == "v2"
    assert lifecycle.tags["registered"]["registry.status"] == "archived"
    assert lifecycle.tags["promoted"]["registry.status"] == "active"
    assert lifecycle.tags["rolled_back"]["registry.status"] == "archived"


def test_mlflows_model_registry_mirrors_every_step(lifecycle):
    run_id = lifecycle.run.info.run_id
    assert lifecycle.mirror["registered"] == {
        "champion": "v1",
        "versions": {"v1": ("active", None), "v2": ("archived", run_id)},
    }
    assert lifecycle.mirror["promoted"]["champion"] == "v2"
    assert lifecycle.mirror["promoted"]["versions"]["v2"] == ("active", run_id)
    assert lifecycle.mirror["rolled_back"] == {
        "champion": "v1",
        "versions": {"v1": ("active", None), "v2": ("archived", run_id)},
    }
    assert mlflow_registry.differences(lifecycle.ws) == []


def test_the_champion_alias_loads_and_predicts_in_mlflow(lifecycle):
    assert (
        list(lifecycle.predictions) == pd.read_csv(lifecycle.ws.base_csv)["label"].head(5).tolist()
    )


def test_a_version_trained_before_tracking_is_reported_not_an_error(lifecycle, capsys):
    with tracking.registry_tags(lifecycle.ws):
        promote(lifecycle.ws.model_dir, "v2")  # v1 (committed, no run) is demoted
    out = capsys.readouterr().out
    assert "v1 records no MLflow run" in out
    assert "v2: MLflow run" in out


def test_an_unreachable_store_stops_training_at_once_naming_it(tmp_path, monkeypatch, capsys):
    ws = make_workspace(tmp_path)
    closed = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", closed)
    # Nobody listens there: retrying is only waiting (the real server going away, with the
    # retries a user gets, is tests/integration/test_mlflow_server.py's).
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    assert main(["--root", str(ws.root), "train"]) == 3
    err = capsys.readouterr().err
    assert f"the tracking store {closed} cannot be reached" in err
    assert not ws.candidate_path.exists()  # no work done, nothing half written
    assert not (ws.reports_dir / "train.json").exists()


def test_a_store_that_cannot_be_created_is_refused_naming_it(tmp_path, monkeypatch):
    (tmp_path / "a-file").write_text("not a directory")
    uri = f"sqlite:///{tmp_path}/a-file/mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    with pytest.raises(tracking.TrackingError, match=f"the tracking store {uri} cannot be reached"):
        tracking.connect(make_workspace(tmp_path / "ws", with_models=False))


def test_the_default_store_is_under_build_with_artifacts_beside_it(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    ws = make_workspace(tmp_path, with_models=False)
    uri = tracking.tracking_uri(ws)
    assert uri == f"sqlite:///{ws.root}/build/mlflow/mlflow.db"
    assert tracking.artifact_location(uri) == (ws.root / "build/mlflow/artifacts").as_uri()
    assert tracking.artifact_location("http://mlflow.example:5000") is None  # the server's


def test_mlflow_telemetry_is_off():
    assert MLFLOW_DISABLE_TELEMETRY.get() is True

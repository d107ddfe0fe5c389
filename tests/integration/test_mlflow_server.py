"""A team's shared tracking server: MLFLOW_TRACKING_URI points the pipeline at a real one.

`mlflow server` runs on loopback exactly as `make experiments` starts it (its own uv tool
environment, ml/experiments.py). The pipeline runs as a student runs it (`python -m ml ...`
in a copy of the data), and the server is then asked what it holds. Finally the server goes
away, and training must stop at once, naming it.
"""

import json
import os
import subprocess
import sys
import time
from types import SimpleNamespace

import mlflow
import pytest

from tests.helpers import ROOT, require_tool, run_mlflow_server
from tests.unit.test_ml_support import make_workspace

# The fixture trains, registers, promotes and asks for the status, each a `python -m ml` of
# its own against the server: more than the default 300 s on a busy 2-core machine.
pytestmark = pytest.mark.timeout(900)


def ml(ws, *args: str, uri: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "ml", "--root", str(ws.root), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """train and register against a live server; what it then holds; the server stopped."""
    require_tool("uv")  # starts the server's tool environment
    workdir = tmp_path_factory.mktemp("mlflow-server")
    ws = make_workspace(workdir / "student")
    with run_mlflow_server(workdir, f"sqlite:///{workdir}/server.db") as url:
        trained = ml(ws, "train", uri=url)
        assert trained.returncode == 0, trained.stdout[-2000:] + trained.stderr[-2000:]
        registered = ml(ws, "register", uri=url)
        assert registered.returncode == 0, registered.stdout[-2000:] + registered.stderr
        promoted = ml(ws, "promote", "v2", uri=url)
        assert promoted.returncode == 0, promoted.stdout[-2000:] + promoted.stderr
        status = ml(ws, "status", uri=url)
        client = mlflow.MlflowClient(tracking_uri=url)
        run_id = json.loads(ws.candidate_path.read_text())["mlflow_run_id"]
        run = client.get_run(run_id)
        champion = client.get_model_version_by_alias(ws.config["model"]["name"], "champion")
    return SimpleNamespace(
        ws=ws,
        workdir=workdir,
        url=url,
        run=run,
        output=registered.stdout,
        status=status,
        champion=champion,
    )


def test_the_server_holds_the_run_with_its_metrics(shared):
    run = shared.run
    assert run.info.status == "FINISHED"
    assert run.data.metrics["holdout_accuracy"] > 0.9
    assert run.data.tags["gate.verdict"] == "passed"
    assert run.data.tags["registry.version"] == "v2"
    assert (
        run.data.params["dataset_sha256"]
        == json.loads(shared.ws.candidate_path.read_text())["dataset"]["sha256"]
    )


def test_artifacts_went_through_the_server(shared):
    """The client has no file access to a team's server: artifacts are uploaded over HTTP."""
    assert shared.run.info.artifact_uri.startswith("mlflow-artifacts:")
    stored = {p.name for p in (shared.workdir / "artifacts").rglob("*") if p.is_file()}
    assert {"candidate.json", "confusion_matrix.png", "evaluate.json"} <= stored


def test_register_reports_the_tag_it_set(shared):
    assert f"v2: MLflow run {shared.run.info.run_id} tagged registry.status=archived" in (
        shared.output
    )


def test_the_champion_alias_is_the_promoted_version_with_its_run(shared):
    assert shared.champion.tags["registry.version"] == "v2"
    assert shared.champion.run_id == shared.run.info.run_id
    assert shared.champion.tags["registry.status"] == "active"
    assert shared.status.returncode == 0, shared.status.stdout + shared.status.stderr
    assert "MLflow's registry matches (models:/wine-classifier@champion)" in shared.status.stdout


def test_a_registry_change_without_the_server_says_how_to_resync(shared):
    # The server is gone: git's registry changes (it is the source of truth), MLflow's cannot.
    rolled_back = ml(shared.ws, "rollback", uri=shared.url)
    assert rolled_back.returncode == 0, rolled_back.stdout + rolled_back.stderr
    assert "MLflow registry NOT updated: the tracking store cannot be reached" in (
        rolled_back.stdout
    )
    assert "run `make ml-sync`" in rolled_back.stdout
    status = ml(shared.ws, "status", uri=shared.url)
    assert status.returncode == 3
    assert f"the tracking store {shared.url} cannot be reached" in status.stderr


def test_training_stops_at_once_when_the_server_is_gone(shared):
    shared.ws.candidate_path.unlink()
    started = time.monotonic()
    result = ml(shared.ws, "train", uri=shared.url)
    print(f"training refused {time.monotonic() - started:.1f} s after start")
    assert result.returncode == 3, result.stdout[-2000:] + result.stderr[-2000:]
    assert f"the tracking store {shared.url} cannot be reached" in result.stderr
    assert not shared.ws.candidate_path.exists()

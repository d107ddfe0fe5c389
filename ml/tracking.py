"""Experiment tracking: every training run recorded in MLflow, so runs can be compared.

Where the runs go: MLFLOW_TRACKING_URI when it is set (a team's shared `mlflow server`),
otherwise an SQLite file in build/mlflow/ with the artifacts beside it - embedded, no
server needed. `make experiments` shows either in the MLflow UI (ml/experiments.py).

What a run holds: ml/config.yaml and the data's fingerprint as parameters, every trial of the
hyper-parameter search as a nested run, the holdout metrics, two plots and the candidate
artifact. `evaluate` adds the quality gate to the candidate's run; `register` and `promote`
tag the run with its registry version. The registry itself stays models/ in git
(docs/ml.md says why); each version there records its run id: lineage both ways.

If the store cannot be reached, training stops before it starts (TrackingError, exit 3):
a run that nobody can find later is worse than no run.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ml.workspace import Workspace
from model_registry import load_file, read_index

if TYPE_CHECKING:
    from mlflow import ActiveRun

# MLflow reads these when it is imported. Its usage telemetry is on by default (since 3.2):
# a course repository does not phone home. And an unreachable server should stop a run
# within seconds, not after the default seven retries (about two minutes).
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
# Each function imports mlflow itself, when it is first used: the import takes seconds, and
# most commands (`ml status`, `ml drift-check`, ...) record nothing.


# MLflow 3's UI opens an experiment in the view its kind names, GenAI (traces, prompts) unless
# told: this one is model training, so its runs table comes first.
EXPERIMENT_KIND = "mlflow.experimentKind"
MODEL_TRAINING = {EXPERIMENT_KIND: "custom_model_development"}


def unreachable() -> tuple[type[Exception], ...]:
    """What "the store cannot be reached" looks like: MLflow's own errors (an HTTP server
    that does not answer), the database's, and the file system's."""
    from mlflow.exceptions import MlflowException
    from sqlalchemy.exc import SQLAlchemyError

    return (MlflowException, SQLAlchemyError, OSError)


class TrackingError(Exception):
    """The tracking store cannot be reached, or does not hold the run asked for."""


def chosen_uri() -> str | None:
    """The store the user chose, if any: MLFLOW_TRACKING_URI, read when asked.

    mlflow.set_tracking_uri() writes the variable back (so that subprocesses inherit the
    store). After connect() it therefore names the store this process already uses: the same
    answer, so reading it again is harmless.
    """
    return os.environ.get("MLFLOW_TRACKING_URI")


def default_store(ws: Workspace) -> Path:
    return ws.root / "build" / "mlflow"


def tracking_uri(ws: Workspace) -> str:
    return chosen_uri() or f"sqlite:///{default_store(ws) / 'mlflow.db'}"


def artifact_location(uri: str) -> str | None:
    """An SQLite store keeps the artifacts in a folder beside its database file; a tracking
    server keeps them itself (None: MLflow asks the server)."""
    if uri.startswith("sqlite:///"):
        database = Path(uri.removeprefix("sqlite:///")).resolve()
        return (database.parent / "artifacts").as_uri()
    return None


def connect(ws: Workspace) -> str:
    """Point MLflow at the store and return the model's experiment id (created on first use)."""
    import mlflow

    uri = tracking_uri(ws)
    name = ws.config["model"]["name"]
    try:
        if not chosen_uri():
            default_store(ws).mkdir(parents=True, exist_ok=True)
        mlflow.set_tracking_uri(uri)
        experiment = mlflow.get_experiment_by_name(name)
        if experiment is None:
            return mlflow.create_experiment(
                name, artifact_location=artifact_location(uri), tags=MODEL_TRAINING
            )
        if experiment.tags.get(EXPERIMENT_KIND) != MODEL_TRAINING[EXPERIMENT_KIND]:
            mlflow.MlflowClient().set_experiment_tag(
                experiment.experiment_id, EXPERIMENT_KIND, MODEL_TRAINING[EXPERIMENT_KIND]
            )
        return experiment.experiment_id
    except unreachable() as exc:
        raise TrackingError(f"the tracking store {uri} cannot be reached: {exc}") from None


def flatten(config: dict, prefix: str = "") -> dict[str, object]:
    """{"split": {"seed": 42}} -> {"split.seed": 42}: MLflow parameters are flat."""
    flat = {}
    for key, value in config.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


@contextlib.contextmanager
def training_run(ws: Workspace, run_name: str) -> Iterator[ActiveRun]:
    """The run of one `train`: connects first, so an unreachable store stops it at once.

    MLflow ends the run as FAILED when the block raises (bad data, say), FINISHED otherwise.
    """
    import mlflow

    # The active experiment, not only this run's: the nested trial runs go to it too.
    mlflow.set_experiment(experiment_id=connect(ws))
    with mlflow.start_run(run_name=run_name) as run:
        mlflow.log_params(flatten(ws.config))
        yield run


def log_trial(params: dict, scoring: str, mean: float, std: float, folds: list[float]) -> None:
    """One trial of the search, as a run nested in the training run."""
    import mlflow

    name = ", ".join(f"{key}={value}" for key, value in params.items())
    with mlflow.start_run(run_name=name, nested=True):
        mlflow.log_params(params)
        mlflow.log_metrics({f"cv_{scoring}_mean": mean, f"cv_{scoring}_std": std})
        for fold, score in enumerate(folds):
            mlflow.log_metric(f"cv_{scoring}", score, step=fold)


def log_training(
    document: dict, search, y_true: list[str], y_pred: list[str], candidate: Path
) -> None:
    """What a training run learnt: the trials, the data's fingerprint, the numbers, the plots."""
    import mlflow

    from ml.plots import confusion_matrix_figure, per_class_figure  # matplotlib: seconds too

    mlflow.log_params(
        {
            "config_sha256": document["training"]["config_sha256"],
            "dataset_sha256": document["dataset"]["sha256"],
            "dataset_rows": document["dataset"]["rows"],
            "git_sha": document["git_sha"],
            "candidate_version": document["version"],
            **{f"best_{key}": value for key, value in search.best_params.items()},
        }
    )
    for trial in search.trials:
        log_trial(trial["params"], search.scoring, trial["mean"], trial["std"], trial["folds"])
    holdout = document["metrics"]["holdout"]
    mlflow.log_metrics(
        {
            f"best_cv_{search.scoring}": search.best_score,
            **{f"holdout_{name}": holdout[name] for name in ("accuracy", "macro_f1", "log_loss")},
        }
    )
    for name, draw in (
        ("confusion_matrix", confusion_matrix_figure),
        ("per_class_metrics", per_class_figure),
    ):
        mlflow.log_figure(draw(y_true, y_pred, document["classes"]), f"plots/{name}.png")
    mlflow.log_artifact(str(candidate), artifact_path="model")


@contextlib.contextmanager
def resumed(ws: Workspace, run_id: str) -> Iterator[ActiveRun]:
    """Reopen the run that trained a candidate, to add what later stages learn about it."""
    import mlflow

    connect(ws)
    try:
        mlflow.get_run(run_id)
    except unreachable():
        raise TrackingError(
            f"run {run_id} is not in the tracking store {tracking_uri(ws)}: the candidate was "
            "trained against another store (run `make train` again with this one)"
        ) from None
    with mlflow.start_run(run_id=run_id) as run:
        yield run


def log_gate(ws: Workspace, run_id: str | None, result, reports: list[Path]) -> None:
    """The quality gate's checks, verdict and reports, added to the candidate's run."""
    import mlflow

    if run_id is None:
        raise TrackingError("the candidate records no MLflow run: run `make train` again")
    with resumed(ws, run_id):
        mlflow.log_metrics(
            {
                **{f"gate_{name}": result.metrics[name] for name in ("accuracy", "macro_f1")},
                "gate_perturbation_invariance": result.invariance,
                "gate_passed": int(result.passed),
            }
        )
        mlflow.set_tag("gate.verdict", "passed" if result.passed else "failed")
        mlflow.log_dict(result.checks, "gate/checks.json")
        for path in reports:
            mlflow.log_artifact(str(path), artifact_path="gate")


def _tag_run(ws: Workspace, version: str, entry: dict) -> str:
    document = load_file(ws.model_dir / entry["file"], status=entry["status"]).document
    run_id = document.get("mlflow_run_id")
    if run_id is None:
        return f"{version} records no MLflow run (trained before experiment tracking)"
    import mlflow

    try:
        connect(ws)
        client = mlflow.MlflowClient()
        client.get_run(run_id)
        client.set_tag(run_id, "registry.version", version)
        client.set_tag(run_id, "registry.status", entry["status"])
    except (TrackingError, *unreachable()):
        return f"{version}: its run {run_id} is not in {tracking_uri(ws)}; tags unchanged"
    return f"{version}: MLflow run {run_id} tagged registry.status={entry['status']}"


@contextlib.contextmanager
def registry_tags(ws: Workspace) -> Iterator[None]:
    """Around a registry change: then tag the run of every version whose status it changed,
    and mirror the registry into MLflow's (ml/mlflow_registry.py).

    The registry (models/, in git) is the source of truth, so a run this store does not hold
    (a version trained on another machine, or before tracking) is reported, not an error.
    """
    from ml import mlflow_registry  # it builds on this module

    before = read_index(ws.model_dir, missing_ok=True)["versions"]
    yield
    for version, entry in read_index(ws.model_dir)["versions"].items():
        if before.get(version, {}).get("status") != entry["status"]:
            print(f"  tracking: {_tag_run(ws, version, entry)}")
    mlflow_registry.sync_and_report(ws)

"""MLflow's model registry as a mirror of models/ (docs/ml.md, "Two registries").

models/index.json in git is the source of truth: the service deploys from it. MLflow's model
registry shows the same versions where students of MLflow look for them:

| models/index.json          | MLflow's registry, model `wine-classifier`                 |
|----------------------------|------------------------------------------------------------|
| a registered version v2    | a model version (tags registry.version, registry.sha256)   |
|                            | from v2's run:                                             |
|                            | the JSON file, a signature and an input example (pyfunc)   |
| its status                 | the version's tag registry.status (active/archived/retired) |
| the active version         | the alias `champion`: models:/wine-classifier@champion      |

`sync` makes MLflow say what the index says, whatever happened before: it runs after every
register, promote, rollback and decommission, and by hand (`make ml-sync`) after the store
could not be reached. `differences` lists what does not match, changing nothing
(`make ml-status`). A version whose run the store does not hold (trained elsewhere, or before
tracking) is mirrored without its run.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import model_registry
from ml import tracking
from ml.workspace import Workspace
from model_registry import read_index

CHAMPION = "champion"
VERSION_TAG = "registry.version"
STATUS_TAG = "registry.status"
# A version is known by its content's hash (the index's sha256): two clones sharing a store
# may both have a "v2", but never the same file.
SHA256_TAG = "registry.sha256"
PYFUNC_CODE = Path(__file__).with_name("pyfunc_model.py")
RESYNC = "run `make ml-sync` (once the store answers) to re-sync"


def _document(ws: Workspace, entry: dict) -> dict:
    # Read as JSON, not loaded as a model: a retired version is mirrored too.
    return json.loads((ws.model_dir / entry["file"]).read_text(encoding="utf-8"))


def _mirrored(client, name: str, index: dict) -> dict:
    """The versions of the index that MLflow holds, by registry version (v1, v2...)."""
    by_sha256 = {
        mv.tags.get(SHA256_TAG): mv for mv in client.search_model_versions(f"name = '{name}'")
    }
    return {
        version: by_sha256[entry["sha256"]]
        for version, entry in index["versions"].items()
        if entry["sha256"] in by_sha256
    }


def _log_pyfunc(experiment_id: str, run_id: str | None, document: dict, path: Path):
    """Log the version as a pyfunc model, to its run if the store holds it: its JSON file, a
    signature and an input example."""
    import mlflow
    import pandas as pd

    means = document["preprocessing"]["mean"]  # a typical wine: the training means
    example = pd.DataFrame([dict(zip(document["features"], means, strict=True))])
    signature = mlflow.models.infer_signature(example, [document["classes"][0]])
    # Without its run (a version trained before tracking, or elsewhere), MLflow 3 keeps the
    # model on its own, in the active experiment: the model's, not MLflow's default one
    # (whose artifacts would land in ./mlruns).
    mlflow.set_experiment(experiment_id=experiment_id)
    with mlflow.start_run(run_id=run_id) if run_id else contextlib.nullcontext():
        return mlflow.pyfunc.log_model(
            name="model",
            python_model=str(PYFUNC_CODE),
            artifacts={"model": str(path)},
            signature=signature,
            input_example=example,
            # What loading needs besides MLflow; also spares MLflow guessing it in a subprocess.
            pip_requirements=[f"mlflow-skinny=={mlflow.__version__}", "pandas"],
            code_paths=[str(Path(model_registry.__file__).parent)],  # what loads the JSON
        )


def sync(ws: Workspace) -> list[str]:
    """Bring MLflow's registry in line with models/index.json; returns what it did.
    Raises tracking.TrackingError when the store cannot be reached."""
    import mlflow

    experiment_id = tracking.connect(ws)
    client = mlflow.MlflowClient()
    name = ws.config["model"]["name"]
    index = read_index(ws.model_dir, missing_ok=True)
    done = []
    try:
        if not client.search_registered_models(f"name = '{name}'"):
            client.create_registered_model(name, description="Mirror of models/ in git")
        mirrored = _mirrored(client, name, index)
        for version, entry in index["versions"].items():
            if version not in mirrored:
                document = _document(ws, entry)
                run_id = document.get("mlflow_run_id")
                if run_id is not None and not _run_exists(client, run_id):
                    run_id = None
                logged = _log_pyfunc(experiment_id, run_id, document, ws.model_dir / entry["file"])
                mirrored[version] = mlflow.register_model(
                    logged.model_uri, name, tags={VERSION_TAG: version, SHA256_TAG: entry["sha256"]}
                )
                source = f"from run {run_id}" if run_id else "without a run in this store"
                done.append(
                    f"{version}: MLflow model version {mirrored[version].version} ({source})"
                )
            if mirrored[version].tags.get(STATUS_TAG) != entry["status"]:
                client.set_model_version_tag(
                    name, mirrored[version].version, STATUS_TAG, entry["status"]
                )
                done.append(f"{version}: {STATUS_TAG}={entry['status']}")
        done += _move_champion(client, name, index["active"], mirrored)
    except tracking.unreachable() as exc:
        raise tracking.TrackingError(f"{tracking.tracking_uri(ws)}: {exc}") from None
    return done


def _run_exists(client, run_id: str) -> bool:
    from mlflow.exceptions import MlflowException

    try:
        client.get_run(run_id)
    except MlflowException:
        return False
    return True


def _move_champion(client, name: str, active: str | None, mirrored: dict) -> list[str]:
    aliases = client.get_registered_model(name).aliases  # {"champion": "3"}
    wanted = mirrored[active].version if active in mirrored else None
    if aliases.get(CHAMPION) == wanted:
        return []
    if wanted is None:
        client.delete_registered_model_alias(name, CHAMPION)
        return [f"alias {CHAMPION} removed: the active version is not mirrored"]
    client.set_registered_model_alias(name, CHAMPION, wanted)
    return [f"alias {CHAMPION} -> {active} (MLflow version {wanted})"]


def differences(ws: Workspace) -> list[str]:
    """Where MLflow's registry and models/index.json disagree; changes nothing."""
    import mlflow

    tracking.connect(ws)
    client = mlflow.MlflowClient()
    name = ws.config["model"]["name"]
    index = read_index(ws.model_dir, missing_ok=True)
    try:
        exists = client.search_registered_models(f"name = '{name}'")
        mirrored = _mirrored(client, name, index) if exists else {}
        found = []
        for version, entry in index["versions"].items():
            if version not in mirrored:
                found.append(f"{version} ({entry['status']}) is not in MLflow's registry")
            elif mirrored[version].tags.get(STATUS_TAG) != entry["status"]:
                found.append(
                    f"{version} is {entry['status']} in git, "
                    f"{mirrored[version].tags.get(STATUS_TAG)} in MLflow"
                )
        champion = client.get_registered_model(name).aliases.get(CHAMPION) if mirrored else None
        wanted = mirrored[index["active"]].version if index["active"] in mirrored else None
        if champion != wanted:
            found.append(f"alias {CHAMPION} is on MLflow version {champion}, not {index['active']}")
    except tracking.unreachable() as exc:
        raise tracking.TrackingError(f"{tracking.tracking_uri(ws)}: {exc}") from None
    return found


def sync_and_report(ws: Workspace) -> bool:
    """`sync`, saying what it did, or that it could not and how to catch up; True if in line."""
    try:
        for line in sync(ws):
            print(f"  MLflow registry: {line}")
    except tracking.TrackingError as exc:
        print(f"  MLflow registry NOT updated: the tracking store cannot be reached ({exc})")
        print(f"  the git registry (models/) has the change and is the source of truth; {RESYNC}")
        return False
    return True

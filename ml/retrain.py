"""Stage 9, re-training: the whole loop in one command, promoting only a model that passes.

collect -> preprocess -> optimize -> train -> evaluate (quality gate) -> register -> promote.
If the gate fails, nothing is registered and the active model keeps serving; the candidate
and reports stay in build/ml/ and reports/ml/ for inspection.
"""

from __future__ import annotations

from ml import evaluate as evaluate_stage
from ml import registry, tracking
from ml.collect import collect
from ml.report import heading
from ml.train import config_sha256, train
from ml.workspace import Workspace
from model_registry import ModelError, load_active


def nothing_new(ws: Workspace) -> str | None:
    """The active version if it was trained on exactly this data and config, else None."""
    try:
        active = load_active(ws.model_dir)
    except ModelError:
        return None
    same_data = active.document["dataset"]["sha256"] == collect(ws).sha256
    same_config = active.document["training"].get("config_sha256") == config_sha256(ws)
    return active.version if same_data and same_config else None


def retrain(ws: Workspace, force: bool = False) -> str | None:
    """Returns the version now serving, or None when the gate failed."""
    unchanged = nothing_new(ws)
    if unchanged and not force:
        print(
            f"nothing to retrain: active {unchanged} was trained on this dataset version with "
            "this config (add data to data/incoming/ or change ml/config.yaml; --force to "
            "train anyway)"
        )
        return unchanged
    trained = train(ws)
    heading("evaluate")
    result = evaluate_stage.evaluate(ws)
    evaluate_stage.report(ws, result)
    if not result.passed:
        print("not registered, not promoted: the active model keeps serving")
        return None
    heading("register + promote")
    with tracking.registry_tags(ws):
        version = registry.register(ws.model_dir, ws.candidate_path)
        registry.promote(ws.model_dir, version, note="retrain: gate passed")
    print(
        f"registered and promoted {version} "
        f"(dataset {trained.collected.version}, {len(trained.collected.records)} rows)"
    )
    registry.print_index(ws.model_dir)
    return version

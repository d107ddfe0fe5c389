"""Stage 9, re-training: the whole loop in one command, promoting only a model that passes.

collect -> preprocess -> optimize -> train -> evaluate (quality gate) -> register -> promote.
If the gate fails, nothing is registered and the active model keeps serving; the candidate
and reports stay in build/ml/ and reports/ml/ for inspection.
"""

from __future__ import annotations

from ml import evaluate as evaluate_stage
from ml import registry
from ml.report import heading
from ml.train import train
from ml.workspace import Workspace


def retrain(ws: Workspace) -> str | None:
    """Returns the newly promoted version, or None when the gate failed."""
    trained = train(ws)
    heading("evaluate")
    result = evaluate_stage.evaluate(ws)
    evaluate_stage.report(ws, result)
    if not result.passed:
        print("not registered, not promoted: the active model keeps serving")
        return None
    heading("register + promote")
    version = registry.register(ws.models_dir, ws.candidate_path)
    registry.promote(ws.models_dir, version, note="retrain: gate passed")
    print(
        f"registered and promoted {version} "
        f"(dataset {trained.collected.version}, {len(trained.collected.records)} rows)"
    )
    registry.print_index(ws.models_dir)
    return version

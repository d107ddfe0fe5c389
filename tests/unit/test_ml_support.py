"""Helpers for the test_ml_* files (no tests here): a throw-away copy of the repository."""

import csv
import shutil

from ml.registry import promote, register
from ml.workspace import Workspace
from tests.helpers import ROOT


def make_workspace(tmp_path, with_models=True) -> Workspace:
    """A copy of the repository's base data and config, and a registry whose only (active)
    version is the committed v1. Stages run on real data here, and the tests do not depend on
    what a student has since added to data/incoming/ or models/."""
    for part in ["data/wine.csv", "data/columns.json", "ml/config.yaml"]:
        (tmp_path / part).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / part, tmp_path / part)
    ws = Workspace.load(tmp_path)
    if with_models:
        register(ws.model_dir, ROOT / "models" / "wine-classifier-v1.json")
        promote(ws.model_dir, "v1")
    return ws


def write_batch(ws: Workspace, name: str, rows: list[dict]) -> None:
    ws.incoming_dir.mkdir(parents=True, exist_ok=True)
    with (ws.incoming_dir / name).open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def base_dicts() -> list[dict]:
    with (ROOT / "data" / "wine.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def quick(ws: Workspace) -> Workspace:
    """Search a one-point grid: for tests about the gate or registry, not the search."""
    ws.config["optimization"]["grid"] = {"C": [10.0]}
    return ws

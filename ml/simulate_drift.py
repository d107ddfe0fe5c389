"""Stage 9 (demo input): write a labelled batch drawn from a shifted distribution.

Takes a seeded sample of the base rows, applies ml.drift.shift_features and a small jitter
(so no row duplicates another), keeps the true labels, and writes
data/incoming/drift-NNN.csv. Then `make retrain` learns from it.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from ml.collect import column_order
from ml.drift import DECIMALS, shift_features
from ml.workspace import Workspace
from model_registry.atomic import create_new


def drifted_rows(ws: Workspace, rows: int, seed: int) -> list[dict[str, str]]:
    with ws.base_csv.open(newline="", encoding="utf-8") as handle:
        base = list(csv.DictReader(handle))
    rng = random.Random(seed)  # noqa: S311 -- a seeded simulation, not security
    sample = rng.sample(base, min(rows, len(base)))
    out = []
    for raw in sample:
        features = {k: float(v) for k, v in raw.items() if k != "label"}
        shifted = shift_features(features)
        for name in shifted:  # +/- 1 % jitter, rounded like the source data
            jittered = shifted[name] * (1 + rng.uniform(-0.01, 0.01))
            shifted[name] = round(jittered, DECIMALS.get(name, 2))
        out.append({**{k: repr(float(v)) for k, v in shifted.items()}, "label": raw["label"]})
    return out


def next_batch_path(ws: Workspace) -> Path:
    taken = {p.name for p in ws.incoming_dir.glob("drift-*.csv")}
    n = 1
    while f"drift-{n:03d}.csv" in taken:
        n += 1
    return ws.incoming_dir / f"drift-{n:03d}.csv"


def simulate_drift(ws: Workspace, rows: int = 120, seed: int | None = None) -> Path:
    path = next_batch_path(ws)
    if seed is None:  # a different (but reproducible) sample per batch
        seed = ws.config["split"]["seed"] + int(path.stem.split("-")[1])
    columns = column_order(ws)
    lines = [",".join(columns)]
    lines += [",".join(row[c] for c in columns) for row in drifted_rows(ws, rows, seed)]
    create_new(path, "\n".join(lines) + "\n")
    return path

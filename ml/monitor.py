"""Stage 8, monitoring (offline view): how a batch of inputs lands in the training deciles.

The live version of this is in Prometheus: the service counts model_input_bin_total and a
recording rule computes the PSI. This command shows the same numbers for a CSV file, so a
student can see drift before sending any traffic.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ml.collect import batch_paths
from ml.drift import DRIFT_PSI, SHIFT_PSI, bin_shares, psi
from ml.workspace import Workspace
from model_registry import load_active


def feature_psi(model, rows: list[dict[str, str]]) -> dict[str, tuple[float, list[float]]]:
    out = {}
    for i, name in enumerate(model.feature_names):
        shares = bin_shares(model.bin_of(i, float(row[name])) for row in rows)
        out[name] = (psi(shares), shares)
    return out


def drift_check(ws: Workspace, csv_path: str | None) -> int:
    model = load_active(ws.model_dir)
    if csv_path:
        path = Path(csv_path)
    else:
        batches = batch_paths(ws)
        path = batches[-1] if batches else ws.base_csv
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    print(f"{ws.rel(path)}: {len(rows)} rows against the training deciles of {model.version}")
    print(f"  {'feature':<22} {'PSI':>6}  bin shares (%), 10 each when nothing drifted")
    for name, (value, shares) in feature_psi(model, rows).items():
        flag = "DRIFT" if value > DRIFT_PSI else ("shift" if value > SHIFT_PSI else "")
        bars = " ".join(f"{s * 100:3.0f}" for s in shares)
        print(f"  {name:<22} {value:6.2f}  {bars}  {flag}")
    return 0

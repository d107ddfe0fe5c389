"""Rows of the dataset as a client of the service sends them: feature name -> value.

Pure Python (no numpy), like ml.drift: the load generator (scripts/locustfile.py, also in
its own small container), the bench and the tests read the committed CSV through it.
"""

from __future__ import annotations

import csv
from pathlib import Path


def load_rows(path: Path) -> list[dict[str, float]]:
    """Feature rows of a dataset CSV (the `label` column dropped)."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [
            {name: float(value) for name, value in row.items() if name != "label"}
            for row in csv.DictReader(handle)
        ]
    if not rows:
        raise ValueError(f"no rows in {path}")
    return rows

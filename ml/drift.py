"""The one definition of "drifted input", shared by simulate-drift and the load generator.

Pure Python (no numpy): scripts/locustfile.py imports it to send drifted traffic to the
service. The shift models a new supplier's wines: stronger, darker, more proline, a
little less hue. Applied to real rows it moves those features out of their training
deciles, which the service's `model_input_bin_total` and the PSI recording rule make visible.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

# feature -> (multiply by, then add); features not listed are unchanged.
SHIFTS: dict[str, tuple[float, float]] = {
    "alcohol": (1.0, 1.2),
    "color_intensity": (1.5, 1.0),
    "proline": (1.35, 150.0),
    "hue": (0.8, 0.0),
}
# values are rounded like the base data: proline to whole mg/L, the rest to 2 decimals
DECIMALS = {"proline": 0, "magnesium": 0}


def shift_features(row: Mapping[str, float]) -> dict[str, float]:
    """A copy of `row` (feature -> value) with the drift applied; other keys pass through."""
    shifted = dict(row)
    for name, (factor, offset) in SHIFTS.items():
        if name in shifted:
            shifted[name] = round(float(shifted[name]) * factor + offset, DECIMALS.get(name, 2))
    return shifted


def bin_shares(bins: Iterable[int], n_bins: int = 10) -> list[float]:
    counts = [0] * n_bins
    for b in bins:
        counts[b] += 1
    total = sum(counts) or 1
    return [c / total for c in counts]


# The share an empty bin counts as (ln 0 is -inf). The same epsilon as the Prometheus rule
# feature_bin:model_input_proportion:ratio30m, so `make drift-check` and the dashboards agree;
# tests/unit/test_ml_drift.py holds the two together.
EMPTY_BIN_SHARE = 0.001
# PSI above which a feature has drifted: the ModelInputDrift alert's threshold, so the
# report and the page say the same (the test above holds these together too). Above
# SHIFT_PSI a change is worth a look but not a retrain.
DRIFT_PSI = 0.2
SHIFT_PSI = 0.1


def psi(shares: Sequence[float], expected: float = 0.1, floor: float = EMPTY_BIN_SHARE) -> float:
    """Population stability index of observed bin shares against `expected` per bin.

    Below SHIFT_PSI stable, up to DRIFT_PSI a moderate shift, above it drift.
    """
    return sum((max(s, floor) - expected) * math.log(max(s, floor) / expected) for s in shares)

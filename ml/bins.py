"""Monitoring support: the decile bin edges of every feature, taken from the training split.

The service counts `model_input_bin_total{feature,bin}` with these edges, so traffic that
looks like the training data puts ~10 % in each of the 10 bins; Prometheus compares the
live shares to 10 % (population stability index) to detect input drift.
"""

from __future__ import annotations

DECILES = [i / 10 for i in range(1, 10)]


def decile_edges(feature_names: tuple[str, ...], X: list[list[float]]) -> dict[str, list[float]]:
    import numpy as np

    columns = np.asarray(X, dtype=float).T
    return {
        name: [round(float(e), 6) for e in np.quantile(column, DECILES)]
        for name, column in zip(feature_names, columns, strict=True)
    }

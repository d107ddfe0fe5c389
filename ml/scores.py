"""A model's quality scores (accuracy, macro F1, log loss...) in plain Python, shared by
training and the quality gate. (The service's Prometheus metrics are app/metrics.py's.)

The gate scores the *served* model (model_registry, pure Python) with the same functions the
training stage used on scikit-learn's output, so both numbers are directly comparable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def predicted(probas: Sequence[Sequence[float]], classes: Sequence[str]) -> list[str]:
    return [classes[max(range(len(p)), key=p.__getitem__)] for p in probas]


def classification_metrics(
    y_true: Sequence[str], probas: Sequence[Sequence[float]], classes: Sequence[str]
) -> dict:
    y_pred = predicted(probas, classes)
    n = len(y_true)
    accuracy = sum(t == p for t, p in zip(y_true, y_pred, strict=True)) / n
    f1s, recalls = [], {}
    for c in classes:
        tp = sum(t == c and p == c for t, p in zip(y_true, y_pred, strict=True))
        fp = sum(t != c and p == c for t, p in zip(y_true, y_pred, strict=True))
        fn = sum(t == c and p != c for t, p in zip(y_true, y_pred, strict=True))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
        recalls[c] = tp / (tp + fn) if tp + fn else 0.0
    index = {c: i for i, c in enumerate(classes)}
    eps = 1e-15
    log_loss = (
        -sum(math.log(min(max(p[index[t]], eps), 1.0)) for t, p in zip(y_true, probas, strict=True))
        / n
    )
    confusion = [
        [sum(t == a and p == b for t, p in zip(y_true, y_pred, strict=True)) for b in classes]
        for a in classes
    ]
    return {
        "accuracy": round(accuracy, 6),
        "macro_f1": round(sum(f1s) / len(f1s), 6),
        "log_loss": round(log_loss, 6),
        "recall": {c: round(r, 6) for c, r in recalls.items()},
        "confusion_matrix": {"labels": list(classes), "rows_true_cols_predicted": confusion},
        "rows": n,
    }

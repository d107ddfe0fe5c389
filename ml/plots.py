"""The holdout results as pictures, logged with every training run (ml/tracking.py).

Matplotlib's object-oriented API (a `Figure`, no pyplot): nothing opens a window or keeps
global state, so this runs the same on a laptop, in CI and in a container.
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure
from sklearn.metrics import ConfusionMatrixDisplay, precision_recall_fscore_support


def confusion_matrix_figure(
    y_true: Sequence[str], y_pred: Sequence[str], classes: Sequence[str]
) -> Figure:
    figure = Figure(figsize=(5, 4.5), layout="constrained")
    axes = figure.subplots()
    ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, labels=list(classes), ax=axes, colorbar=False
    )
    axes.set_title("Confusion matrix, holdout split")
    return figure


def per_class_figure(
    y_true: Sequence[str], y_pred: Sequence[str], classes: Sequence[str]
) -> Figure:
    precision, recall, f1, _ = precision_recall_fscore_support(
        y_true, y_pred, labels=list(classes), zero_division=0
    )
    figure = Figure(figsize=(6, 4), layout="constrained")
    axes = figure.subplots()
    width = 0.25
    for offset, (name, values) in enumerate(
        (("precision", precision), ("recall", recall), ("F1", f1))
    ):
        positions = [i + (offset - 1) * width for i in range(len(classes))]
        axes.bar(positions, values, width, label=name)
    axes.set_xticks(range(len(classes)), list(classes))
    axes.set_ylim(0, 1.2)  # room for the legend above the bars
    axes.set_ylabel("score on the holdout split")
    axes.set_title("Per-class metrics")
    axes.legend(loc="upper center", ncols=3)
    return figure

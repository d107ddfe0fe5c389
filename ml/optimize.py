"""Stage 5, optimization: a small grid search with stratified, seeded cross-validation.

Every trial is returned (and written to the run report), not only the winner. Ties are
broken by grid order, so list the simplest setting first (e.g. the smallest C).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from ml.build import build_estimator
from ml.workspace import Workspace


@dataclass(frozen=True)
class Search:
    scoring: str
    folds: int
    trials: list[dict]
    best_params: dict
    best_score: float


def optimize(ws: Workspace, X: list[list[float]], y: list[str]) -> Search:
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    cfg = ws.config["optimization"]
    folds = StratifiedKFold(cfg["cv_folds"], shuffle=True, random_state=ws.config["split"]["seed"])
    names = list(cfg["grid"])
    trials = []
    for combo in itertools.product(*(cfg["grid"][name] for name in names)):
        params = dict(zip(names, combo, strict=True))
        scores = cross_val_score(
            build_estimator(ws, **params), X, y, cv=folds, scoring=cfg["scoring"]
        )
        trials.append(
            {
                "params": params,
                "mean": round(float(scores.mean()), 6),
                "std": round(float(scores.std()), 6),
                "folds": [round(float(s), 6) for s in scores],
            }
        )
    best = max(trials, key=lambda t: t["mean"])  # max keeps the first of equal scores
    return Search(cfg["scoring"], cfg["cv_folds"], trials, best["params"], best["mean"])


def print_search(search: Search) -> None:
    print(
        f"hyper-parameter search: {len(search.trials)} trials, {search.folds}-fold CV, "
        f"scoring {search.scoring}"
    )
    for trial in search.trials:
        mark = "  <- best" if trial["params"] == search.best_params else ""
        print(f"  {trial['params']}  mean {trial['mean']:.4f}  std {trial['std']:.4f}{mark}")

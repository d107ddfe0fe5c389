"""Stage 3, model building: turn the `model:` section of ml/config.yaml into an estimator.

Standardisation and the classifier form one scikit-learn Pipeline, so cross-validation fits
the scaler inside each fold (no information leaks from the validation fold).
"""

from __future__ import annotations

from typing import Any

from ml.workspace import Workspace

SUPPORTED = {"logistic_regression"}


def build_estimator(ws: Workspace, **params: Any):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    model_cfg = ws.config["model"]
    if model_cfg["type"] not in SUPPORTED:
        raise ValueError(f"model.type {model_cfg['type']!r} is not one of {sorted(SUPPORTED)}")
    classifier = LogisticRegression(
        **model_cfg.get("fixed_params", {}), **params, random_state=ws.config["split"]["seed"]
    )
    return Pipeline([("scale", StandardScaler()), ("classify", classifier)])

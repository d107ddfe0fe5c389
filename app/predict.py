"""The model API: predictions from the active model of the registry, and its metadata.

Each prediction also feeds the model-monitoring metrics: the predicted class, the confidence,
and for every input value the training-decile bin it falls in (drift is computed from those
bins by a Prometheus recording rule, not here).
"""

import json

from flask import Blueprint, Response, current_app, jsonify

from app.errors import ApiError
from app.observability import current_request_id
from app.requests import json_body

api_blueprint = Blueprint("api", __name__, url_prefix="/api/v1")


class ModelMonitor:
    """Metric children for one model, resolved once instead of on every request."""

    def __init__(self, metrics, model) -> None:
        version = model.version
        self.predictions = {c: metrics.predictions.labels(version, c) for c in model.classes}
        self.confidence = metrics.confidence.labels(version)
        self.bins = [
            [metrics.input_bins.labels(feature, str(b)) for b in range(10)]
            for feature in model.feature_names
        ]

    def record(self, model, values, predicted: str, confidence: float) -> None:
        self.predictions[predicted].inc()
        self.confidence.observe(confidence)
        for feature_bins, bin_index in zip(self.bins, model.bins_of(values), strict=True):
            feature_bins[bin_index].inc()


def _active_model():
    model = current_app.extensions["model"]
    if model is None:
        raise ApiError(503, f"no model is being served: {current_app.extensions['model_error']}")
    return model


@api_blueprint.post("/predict")
def predict():
    model = _active_model()
    body = json_body()
    current_app.extensions["predict_validator"].validate(body)
    features = body["features"]
    values = [float(features[name]) for name in model.feature_names]
    probabilities = model.predict_proba(values)
    best = max(range(len(probabilities)), key=probabilities.__getitem__)
    predicted = model.classes[best]
    current_app.extensions["model_monitor"].record(model, values, predicted, probabilities[best])
    body = {
        "prediction": predicted,
        "probabilities": dict(zip(model.classes, probabilities, strict=True)),
        "model_version": model.version,
        "request_id": current_request_id(),
    }
    # json.dumps straight into a Response: Flask's JSON provider costs more than the model.
    return Response(json.dumps(body, separators=(",", ":")), mimetype="application/json")


@api_blueprint.get("/model")
def model_metadata():
    return jsonify(_active_model().metadata())

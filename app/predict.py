"""The model API: predictions from the active model of the registry, and its metadata.

Each prediction also feeds the model-monitoring metrics: the predicted class, the confidence,
and for every input value the training-decile bin it falls in (drift is computed from those
bins by a Prometheus recording rule, not here).
"""

from flask import Blueprint, current_app, jsonify, request

from app.errors import ApiError
from app.metrics import INPUT_BINS
from app.observability import current_request_id

api_blueprint = Blueprint("api", __name__, url_prefix="/api/v1")


class ModelMonitor:
    """The model's metric series, bound to their labels once when the model is loaded."""

    def __init__(self, metrics, model) -> None:
        self.model = model
        self.predictions = {
            name: metrics.predictions.labels(model.version, name) for name in model.classes
        }
        self.confidence = metrics.confidence.labels(model.version)
        # Every bin exists from the start, at 0: the drift rule needs all ten per feature.
        self.bins = [
            [metrics.input_bins.labels(feature, b) for b in INPUT_BINS]
            for feature in model.feature_names
        ]

    def record(self, values, predicted: str, confidence: float) -> None:
        self.predictions[predicted].inc()
        self.confidence.observe(confidence)
        for feature_bins, bin_index in zip(self.bins, self.model.bins_of(values), strict=True):
            feature_bins[bin_index].inc()


def _active_model():
    model = current_app.extensions["model"]
    if model is None:
        reason = current_app.extensions["model_error"]
        raise ApiError(503, f"no model is being served: {reason}")
    return model


@api_blueprint.post("/predict")
def predict():
    model = _active_model()
    body = request.get_json()  # a 415 or a 400 naming the body unless it is JSON
    current_app.extensions["predict_validator"].validate(body)
    values = [float(body["features"][name]) for name in model.feature_names]
    probabilities = model.predict_proba(values)
    best = probabilities.index(max(probabilities))
    predicted = model.classes[best]
    current_app.extensions["model_monitor"].record(values, predicted, probabilities[best])
    return jsonify(
        prediction=predicted,
        probabilities=dict(zip(model.classes, probabilities, strict=True)),
        model_version=model.version,
        request_id=current_request_id(),
    )


@api_blueprint.get("/model")
def model_metadata():
    return jsonify(_active_model().metadata())

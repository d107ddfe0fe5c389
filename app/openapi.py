"""GET /openapi.json — the API described from the very schemas the endpoints validate with."""

from flask import Blueprint, current_app, jsonify

from app import schemas

openapi_blueprint = Blueprint("openapi", __name__)
OPENAPI_PATH = "/openapi.json"


def _json(schema_ref: str, description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}},
    }


def _errors(*statuses: int) -> dict:
    return {str(s): _json("Error", "error (see `error.code` and `error.field`)") for s in statuses}


def _predict_body(model) -> dict:
    """The request body, with an example a client can send as it is: the training data's
    average wine (the scaler's means), so "Try it out" in /docs/ shows a typical answer."""
    body = _json("PredictRequest", "features")
    if model:
        means = model.document["preprocessing"]["mean"]
        example = {name: round(m, 2) for name, m in zip(model.feature_names, means, strict=True)}
        body["content"]["application/json"]["example"] = {"features": example}
    return body


def build_document(settings, model, chaos_enabled: bool) -> dict:
    features = model.feature_names if model else ()
    classes = model.classes if model else ()
    paths = {
        "/": {
            "get": {
                "summary": "Service, build and model",
                "responses": {"200": _json("Info", "ok")},
            }
        },
        "/healthz": {
            "get": {"summary": "Liveness", "responses": {"200": _json("Health", "alive")}}
        },
        "/readyz": {
            "get": {
                "summary": "Readiness (503 while draining, without a model, or chaos)",
                "responses": {"200": _json("Health", "ready"), "503": _json("Health", "not ready")},
            }
        },
        "/version": {"get": {"summary": "Build", "responses": {"200": _json("Version", "ok")}}},
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics, aggregated over all workers",
                "responses": {"200": {"description": "text exposition format"}},
            }
        },
        "/api/v1/predict": {
            "post": {
                "summary": "Classify one wine sample with the active model",
                "requestBody": {"required": True, **_predict_body(model)},
                "responses": {
                    "200": _json("PredictResponse", "prediction"),
                    **_errors(400, 413, 415, 503),
                },
            }
        },
        "/api/v1/model": {
            "get": {
                "summary": "Metadata of the active model",
                "responses": {"200": _json("ModelMetadata", "ok"), **_errors(503)},
            }
        },
    }
    if chaos_enabled:
        paths["/chaos"] = {
            "get": {
                "summary": "Current fault injection",
                "responses": {"200": {"description": "ok"}},
            },
            "delete": {"summary": "Stop all faults", "responses": {"200": {"description": "ok"}}},
        }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Lifecycle Lab", "version": settings.app_version},
        "paths": paths,
        "components": {
            "schemas": {
                "PredictRequest": schemas.predict_request_schema(features),
                "PredictResponse": schemas.predict_response_schema(classes),
                "ModelMetadata": schemas.MODEL_METADATA_SCHEMA,
                "Error": schemas.ERROR_SCHEMA,
                "Health": schemas.HEALTH_SCHEMA,
                "Version": schemas.VERSION_SCHEMA,
                "Info": schemas.INFO_SCHEMA,
            }
        },
    }


@openapi_blueprint.get(OPENAPI_PATH)
def openapi_document():
    ext = current_app.extensions
    return jsonify(build_document(ext["settings"], ext["model"], ext["settings"].chaos_enabled))

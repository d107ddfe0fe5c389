"""GET /openapi.json — the API described from the very schemas the endpoints validate with;
GET /docs/ — Swagger UI on that document, where every operation can be tried.

The predict schemas come from app/api.py, built from the active model; the other shapes are
written below. Swagger UI comes from flask-swagger-ui, which ships its files in its wheel (no
CDN: the page works offline). It is registered only when API_DOCS is on (by default in
development; see docs/service.md#api-docs). "Try it out" sends its requests to the page's own
server: the document names no `servers`, which OpenAPI reads as "/" on the document's origin.
"""

from flask import Blueprint, Flask, jsonify

from app.api import predict_request_schema, predict_response_schema
from app.state import current_state

openapi_blueprint = Blueprint("openapi", __name__)
OPENAPI_PATH = "/openapi.json"
DOCS_PATH = "/docs"

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "code", "message", "request_id"],
            "additionalProperties": False,
            "properties": {
                "status": {"type": "integer"},
                "code": {"type": "string"},
                "message": {"type": "string"},
                "field": {"type": "string"},
                "request_id": {"type": "string"},
            },
        }
    },
}
HEALTH_SCHEMA = {
    "type": "object",
    "required": ["status"],
    "properties": {
        "status": {"type": "string"},
        "reasons": {"type": "array", "items": {"type": "string"}},
    },
}
VERSION_SCHEMA = {
    "type": "object",
    "required": ["version", "git_sha", "build_date"],
    "properties": {
        "version": {"type": "string"},
        "git_sha": {"type": "string"},
        "build_date": {"type": "string"},
    },
}
INFO_SCHEMA = {
    "type": "object",
    "required": ["service", "version", "git_sha", "environment", "model"],
    "properties": {
        "service": {"type": "string"},
        "version": {"type": "string"},
        "git_sha": {"type": "string"},
        "environment": {"type": "string"},
        "model": {
            "type": ["object", "null"],
            "properties": {"name": {"type": "string"}, "version": {"type": "string"}},
        },
    },
}
MODEL_METADATA_SCHEMA = {
    "type": "object",
    "required": ["name", "version"],
    "properties": {"name": {"type": "string"}, "version": {"type": "string"}},
}


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
    accepted_ranges = model.accepted_ranges if model else {}
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
                "PredictRequest": predict_request_schema(features, accepted_ranges),
                "PredictResponse": predict_response_schema(classes),
                "ModelMetadata": MODEL_METADATA_SCHEMA,
                "Error": ERROR_SCHEMA,
                "Health": HEALTH_SCHEMA,
                "Version": VERSION_SCHEMA,
                "Info": INFO_SCHEMA,
            }
        },
    }


@openapi_blueprint.get(OPENAPI_PATH)
def openapi_document():
    state = current_state()
    return jsonify(build_document(state.settings, state.model, state.settings.chaos_enabled))


def install_api_docs(app: Flask) -> None:
    # Imported here, only when API_DOCS is on: the serving image does not install it.
    from flask_swagger_ui import get_swaggerui_blueprint

    swagger_ui = get_swaggerui_blueprint(
        DOCS_PATH,
        OPENAPI_PATH,
        config={
            "app_name": "Lifecycle Lab API",
            # Off: otherwise the page asks validator.swagger.io about our document.
            "validatorUrl": None,
        },
    )
    app.register_blueprint(swagger_ui)

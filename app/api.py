"""The model API (/api/v1): predictions from the active model, and its metadata.

A predict request, top to bottom: Flask parses the body strictly (`StrictJSONProvider`,
`JsonRequest`), the request schema checks it and names the field at fault, the model
predicts, the prediction is recorded for monitoring (app/observability.py), the answer goes
out. Every error, here or anywhere in the app, is JSON of one shape:

    {"error": {"status": 400, "code": "invalid_request", "message": "...",
               "field": "features.alcohol", "request_id": "..."}}

`field` is present only when one input field is at fault. A traceback never reaches the
client: an unexpected exception is logged with the request id and answered with a plain 500.
"""

import functools
import logging

import fastjsonschema
from flask import Blueprint, Flask, Request, jsonify, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException

from app.observability import current_request_id, record_prediction
from app.state import current_state

api_blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
log = logging.getLogger("app.errors")


@api_blueprint.post("/predict")
def predict():
    model = _active_model()
    body = request.get_json()  # a 415, or a 400 naming the body, unless it is JSON
    validate(body, predict_validator(model))
    values = [float(body["features"][name]) for name in model.feature_names]
    probabilities = model.predict_proba(values)
    best = probabilities.index(max(probabilities))
    predicted = model.classes[best]
    record_prediction(model, values, predicted, probabilities[best])
    return jsonify(
        prediction=predicted,
        probabilities=dict(zip(model.classes, probabilities, strict=True)),
        model_version=model.version,
        request_id=current_request_id(),
    )


@api_blueprint.get("/model")
def model_metadata():
    return jsonify(_active_model().metadata())


def _active_model():
    state = current_state()
    if state.model is None:
        raise ApiError(503, f"no model is being served: {state.model_error}")
    return state.model


# --- the request and response schemas (JSON Schema) ----------------------------------------
# One source for two jobs: predict validates with them and /openapi.json publishes them.
# They are built from the model's own feature names, accepted ranges and classes, so a model
# with other features gets a matching contract without a change here.

# For a model that records no accepted ranges: wide enough for any real measurement, narrow
# enough that the arithmetic stays finite. Bounds also reject infinities (and NaN never gets
# past the JSON parser).
FEATURE_LIMIT = 1_000_000.0


def predict_request_schema(feature_names, accepted_ranges) -> dict:
    return {
        "type": "object",
        "required": ["features"],
        "additionalProperties": False,
        "properties": {
            "features": {
                "type": "object",
                "description": "one value per model feature, by name",
                "required": list(feature_names),
                "additionalProperties": False,
                "properties": {
                    name: feature_schema(accepted_ranges.get(name)) for name in feature_names
                },
            }
        },
    }


def feature_schema(accepted: dict | None) -> dict:
    """A number in the data card's accepted range (data/columns.json, recorded in the model)."""
    if accepted is None:
        return {"type": "number", "minimum": -FEATURE_LIMIT, "maximum": FEATURE_LIMIT}
    schema = {"type": "number", "minimum": accepted["min"], "maximum": accepted["max"]}
    if "unit" in accepted:
        schema["description"] = f"in {accepted['unit']}"
    return schema


def predict_response_schema(classes) -> dict:
    return {
        "type": "object",
        "required": ["prediction", "probabilities", "model_version", "request_id"],
        "additionalProperties": False,
        "properties": {
            "prediction": {"type": "string", "enum": list(classes)},
            "probabilities": {
                "type": "object",
                "required": list(classes),
                "additionalProperties": False,
                "properties": {c: {"type": "number", "minimum": 0, "maximum": 1} for c in classes},
            },
            "model_version": {"type": "string"},
            "request_id": {"type": "string"},
        },
    }


@functools.cache  # one validator per model, compiled on its first request
def predict_validator(model):
    """The request schema compiled to a Python function by fastjsonschema, a kept library
    that turns a JSON Schema into plain code once; the schema itself stays the one
    /openapi.json publishes."""
    return fastjsonschema.compile(
        predict_request_schema(model.feature_names, model.accepted_ranges)
    )


def validate(body, validator) -> None:
    """Raise ApiError(400) naming the first field of `body` at fault."""
    try:
        validator(body)
    except fastjsonschema.JsonSchemaValueException as error:
        field = _field_path(error)
        message = f"{field}: {_reason(error)}"
        raise ApiError(
            400, message if len(message) <= 200 else message[:197] + "...", field=field
        ) from None


def _field_path(error: fastjsonschema.JsonSchemaValueException) -> str:
    """Dotted path of the field at fault. fastjsonschema names the object for a missing or
    an unexpected key, so the key's own name is added here: "features.alcohol", not
    "features". Its path starts at "data", the whole body."""
    path = [str(part) for part in error.path[1:]]
    key = _key_at_fault(error)
    if key is not None:
        path.append(key)
    return ".".join(path) or "body"


def _key_at_fault(error: fastjsonschema.JsonSchemaValueException) -> str | None:
    """The first missing required key, or the first unexpected one (sorted), or None."""
    if error.rule == "required":
        return next(name for name in error.rule_definition if name not in error.value)
    if error.rule == "additionalProperties":
        known = error.definition.get("properties", {})
        return sorted(str(key) for key in error.value if key not in known)[0]
    return None


def _reason(error: fastjsonschema.JsonSchemaValueException) -> str:
    """What is wrong, in words: fastjsonschema's message without its "data.x.y" prefix."""
    if error.rule == "required":
        return "is a required property"
    if error.rule == "additionalProperties":
        return "is not an expected property"
    return error.message.removeprefix(error.name).strip()


# --- reading a JSON body strictly ----------------------------------------------------------
# Flask's request.get_json() does the work, through two documented extension points that
# create_app sets: the app's JSON provider and its request class.


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON without NaN and Infinity, which JSON forbids but Python's json module
    accepts (1e400 still parses, as infinity, and the schema's bounds then name the field).
    Responses keep their keys in the order written."""

    sort_keys = False

    def loads(self, s, **kwargs):
        kwargs.setdefault("parse_constant", _reject_constant)
        try:
            return super().loads(s, **kwargs)
        except RecursionError:  # nesting deeper than the parser's recursion limit
            raise ValueError("nested too deeply") from None


class JsonRequest(Request):
    """A body that is not JSON gets our 400 saying why, not Flask's generic Bad Request;
    another media type stays Flask's 415."""

    def on_json_loading_failed(self, e: ValueError | None):
        if e is None:  # not sent as JSON: Flask's 415
            return super().on_json_loading_failed(e)
        raise ApiError(400, f"body is not valid JSON: {e}"[:160], field="body")


def json_object() -> dict:
    """The body as a JSON object, or a 400 naming the body."""
    body = request.get_json()
    if not isinstance(body, dict):
        raise ApiError(400, "body: must be a JSON object", field="body")
    return body


# --- errors ---------------------------------------------------------------------------------

_CODES = {
    400: "invalid_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """An error the API answers on purpose, with a status, a code and maybe a field."""

    def __init__(self, status: int, message: str, *, code: str | None = None, field=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or _CODES.get(status, "error")
        self.field = field


def error_response(status: int, message: str, *, code: str | None = None, field=None):
    body = {
        "status": status,
        "code": code or _CODES.get(status, "error"),
        "message": message,
        "request_id": current_request_id(),
    }
    if field is not None:
        body["field"] = field
    return jsonify(error=body), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(error: ApiError):
        return error_response(error.status, error.message, code=error.code, field=error.field)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        response, status = error_response(error.code or 500, error.description or error.name)
        if error.code == 405 and error.valid_methods:
            response.headers["Allow"] = ", ".join(sorted(error.valid_methods))
        return response, status

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("unhandled error", extra={"request_id": current_request_id()})
        return error_response(500, "internal error; the request id is in the server log")

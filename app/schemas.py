"""Request and response schemas (JSON Schema 2020-12) — one source for two jobs:
the predict endpoint validates with them, and /openapi.json publishes them unchanged.

The predict request schema is built from the active model's feature names, so a model with
other features gets a matching contract without touching this file.
"""

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from app.errors import ApiError

# Wide enough for any real measurement, narrow enough that the arithmetic stays finite;
# the bounds also reject infinities (and NaN never gets past the JSON parser).
FEATURE_LIMIT = 1_000_000.0


def predict_request_schema(feature_names) -> dict:
    feature = {"type": "number", "minimum": -FEATURE_LIMIT, "maximum": FEATURE_LIMIT}
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
                "properties": {name: dict(feature) for name in feature_names},
            }
        },
    }


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


def _field_path(error) -> str:
    """Dotted path of the field at fault, including a missing or unexpected key's name."""
    path = [str(part) for part in error.absolute_path]
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        path.append(missing[0])
    elif error.validator == "additionalProperties":
        known = error.schema.get("properties", {})
        path.append(sorted(str(key) for key in error.instance if key not in known)[0])
    return ".".join(path) or "body"


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class RequestValidator:
    """Validates a parsed JSON body; raises ApiError(400) naming the first field at fault."""

    def __init__(self, schema: dict) -> None:
        self.schema = schema
        self._validator = Draft202012Validator(schema)

    def validate(self, body) -> None:
        error = best_match(self._validator.iter_errors(body))
        if error is None:
            return
        field = _field_path(error)
        raise ApiError(400, _short(f"{field}: {error.message}"), field=field)

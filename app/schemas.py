"""Request and response schemas (JSON Schema 2020-12) — one source for two jobs:
the predict endpoint validates with them, and /openapi.json publishes them unchanged.

The predict request schema is built from the active model's feature names, so a model with
other features gets a matching contract without touching this file.
"""

import math

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


def _compile_fast_check(schema: dict):
    """Compile the subset of JSON Schema our request schemas use into a plain function.

    The function answers True only when jsonschema would accept the document too; anything
    it does not understand makes it answer False, and jsonschema then decides and explains.
    Valid requests — nearly all of them — skip jsonschema's ~150 µs walk this way.
    Returns None when the schema uses keywords outside that subset.
    """
    kind = schema.get("type")
    if kind == "number" and set(schema) <= {"type", "minimum", "maximum", "description"}:
        low = schema.get("minimum", -math.inf)
        high = schema.get("maximum", math.inf)
        return lambda value: type(value) in (int, float) and low <= value <= high
    if kind == "object" and schema.get("additionalProperties") is False:
        if not set(schema) <= {
            "type",
            "required",
            "additionalProperties",
            "properties",
            "description",
        }:
            return None
        checks = {name: _compile_fast_check(sub) for name, sub in schema["properties"].items()}
        if None in checks.values():
            return None
        required = frozenset(schema.get("required", ()))
        allowed = frozenset(checks)
        items = tuple(checks.items())
        numbers = _all_required_numbers(schema, required)
        if numbers is not None:
            return _numbers_object_check(numbers, required)

        def check_object(value) -> bool:
            if type(value) is not dict:
                return False
            keys = value.keys()
            if not (required <= keys and keys <= allowed):
                return False
            return all(check(value[name]) for name, check in items if name in value)

        return check_object
    return None


def _all_required_numbers(schema: dict, required: frozenset):
    """(name, low, high) per property when every property is a required bounded number."""
    properties = schema["properties"]
    if set(properties) != required:
        return None
    numbers = []
    for name, sub in properties.items():
        if sub.get("type") != "number":
            return None
        numbers.append((name, sub.get("minimum", -math.inf), sub.get("maximum", math.inf)))
    return tuple(numbers)


def _numbers_object_check(numbers: tuple, keys: frozenset):
    # The shape of the predict request's `features`: one tight loop instead of a call per field.
    def check_numbers(value) -> bool:
        if type(value) is not dict or value.keys() != keys:
            return False
        for name, low, high in numbers:
            item = value[name]
            if type(item) not in (int, float) or not low <= item <= high:
                return False
        return True

    return check_numbers


class RequestValidator:
    """Validates a parsed JSON body; raises ApiError(400) naming the first field at fault."""

    def __init__(self, schema: dict) -> None:
        self.schema = schema
        self._validator = Draft202012Validator(schema)
        self._fast_check = _compile_fast_check(schema) or (lambda _body: False)

    def validate(self, body) -> None:
        if self._fast_check(body) or self._validator.is_valid(body):
            return
        error = best_match(self._validator.iter_errors(body))
        field = _field_path(error)
        raise ApiError(400, _short(f"{field}: {error.message}"), field=field)

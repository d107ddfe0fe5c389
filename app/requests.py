"""Reading a JSON request body strictly: the right media type, valid JSON, finite numbers.

Flask's `request.get_json()` does the work; the app's JSON provider (`StrictJSONProvider`)
makes it refuse what JSON itself forbids but Python's json module accepts: NaN and Infinity.
A number too large for a float (1e400) still parses, as infinity, and the request schema's
bounds then name the field at fault.
"""

from flask import request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest

from app.errors import ApiError


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, without NaN and Infinity; responses keep their keys in order."""

    sort_keys = False

    def loads(self, s, **kwargs):
        kwargs.setdefault("parse_constant", _reject_constant)
        try:
            return super().loads(s, **kwargs)
        except RecursionError:  # nesting deeper than the parser's recursion limit
            raise ValueError("nested too deeply") from None


def json_body():
    """The parsed body. Another media type is a 415 (Flask raises it); bad JSON a 400."""
    try:
        return request.get_json()
    except BadRequest as error:  # Flask's "Failed to decode JSON object: <why>"
        message = f"body is not valid JSON: {error.description}"[:160]
        raise ApiError(400, message, field="body") from None


def json_object() -> dict:
    body = json_body()
    if not isinstance(body, dict):
        raise ApiError(400, "body: must be a JSON object", field="body") from None
    return body

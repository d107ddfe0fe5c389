"""Reading a JSON request body strictly: the right media type, valid JSON, finite numbers.

Flask's `request.get_json()` does the work, with two documented extension points:
- the app's JSON provider (`StrictJSONProvider`) refuses what JSON itself forbids but Python's
  json module accepts: NaN and Infinity. A number too large for a float (1e400) still parses,
  as infinity, and the request schema's bounds then name the field at fault;
- the request class (`JsonRequest`) answers a body that is not JSON with our 400, saying
  why, instead of Flask's generic "Bad Request". Another media type stays Flask's 415.
"""

from flask import Request
from flask import request as current_request
from flask.json.provider import DefaultJSONProvider

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


class JsonRequest(Request):
    def on_json_loading_failed(self, e: ValueError | None):
        if e is None:  # not sent as JSON: Flask's 415
            return super().on_json_loading_failed(e)
        raise ApiError(400, f"body is not valid JSON: {e}"[:160], field="body")


def json_object() -> dict:
    """The body as a JSON object, or a 400 naming the body."""
    body = current_request.get_json()
    if not isinstance(body, dict):
        raise ApiError(400, "body: must be a JSON object", field="body")
    return body

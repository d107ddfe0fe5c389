"""Reading a JSON request body strictly: the right media type, valid JSON, finite numbers."""

import json

from flask import request

from app.errors import ApiError


def _reject_constant(name: str):
    # Python's json accepts NaN and Infinity; JSON does not, and neither do we.
    raise ValueError(f"{name} is not valid JSON")


# One decoder for every request: json.loads would build a new one (and sniff the encoding)
# on each call. JSON between systems is UTF-8 (RFC 8259 section 8.1).
_decoder = json.JSONDecoder(parse_constant=_reject_constant)


def json_body():
    if request.mimetype != "application/json":
        raise ApiError(415, "send the body as application/json")
    raw = request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
    try:
        return _decoder.decode(raw.decode("utf-8"))
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise ApiError(400, f"body is not valid JSON: {str(error)[:120]}", field="body") from None


def json_object() -> dict:
    body = json_body()
    if not isinstance(body, dict):
        raise ApiError(400, "body: must be a JSON object", field="body")
    return body

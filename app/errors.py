"""One JSON shape for every error, so clients parse failures the same way everywhere:

    {"error": {"status": 400, "code": "invalid_request", "message": "...",
               "field": "features.alcohol", "request_id": "..."}}

`field` is present only when one input field is at fault. A traceback never reaches the
client: unexpected exceptions are logged with the request id and answered with a plain 500.
"""

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from app.observability import current_request_id

log = logging.getLogger("app.errors")

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
    response = jsonify(error=body)
    response.status_code = status
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(error: ApiError):
        return error_response(error.status, error.message, code=error.code, field=error.field)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        response = error_response(error.code or 500, error.description or error.name)
        if error.code == 405 and error.valid_methods:
            response.headers["Allow"] = ", ".join(sorted(error.valid_methods))
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("unhandled error", extra={"request_id": current_request_id()})
        return error_response(500, "internal error; the request id is in the server log")

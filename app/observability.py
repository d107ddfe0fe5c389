"""Per-request plumbing: the request id, the HTTP metrics and the JSON access log line.

A thin WSGI middleware rather than Flask before/after hooks: the hooks and the context-local
lookups they need cost about 30 µs a request, more than everything else here together
(measured by `make bench`). The middleware reads the environ directly. The matched URL rule
(the route label) is read while the response starts: Flask's request is still in the
environ then (werkzeug's documented `werkzeug.request` entry); Flask clears it afterwards.
"""

import re
import time

from flask import Flask, request

from app import process_identity
from app.jsonlog import AccessLog

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
REQUEST_ID_KEY = "lifecycle_lab.request_id"
UNMATCHED_ROUTE = "<unmatched>"
# Any other method token a client invents is counted as "other", so it cannot mint series.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def current_request_id() -> str:
    """The id of the request being served (for response bodies and error messages)."""
    return request.environ.get(REQUEST_ID_KEY, "")


class RequestObserver:
    """Wraps the WSGI app: request id in and out, metrics and one access line per request."""

    def __init__(self, wsgi_app, metrics, access_log: AccessLog) -> None:
        self.wsgi_app = wsgi_app
        self.metrics = metrics
        self.access_log = access_log

    def __call__(self, environ, start_response):
        # One frame for nearly all of it: at a thousand requests a second per worker, every
        # extra Python call here shows in `make bench`.
        started = time.perf_counter()
        # Keep the caller's id so a trace can follow a request across services; replace one
        # that could smuggle newlines or a megabyte into our logs.
        request_id = environ.get("HTTP_X_REQUEST_ID")
        if request_id is None or not _VALID_REQUEST_ID.match(request_id):
            request_id = next(process_identity.request_id_source or process_identity.request_ids())
        environ[REQUEST_ID_KEY] = request_id
        status_line, rule = "500", None  # what an app that never starts a response gets

        def start_with_request_id(status, headers, exc_info=None):
            nonlocal status_line, rule
            status_line = status
            flask_request = environ.get("werkzeug.request")
            rule = flask_request.url_rule if flask_request is not None else None
            headers.append(("X-Request-ID", request_id))
            return start_response(status, headers, exc_info)

        self.metrics.request_started()
        try:
            return self.wsgi_app(environ, start_with_request_id)
        finally:
            elapsed = time.perf_counter() - started
            route = rule.rule if rule is not None else UNMATCHED_ROUTE
            method = environ.get("REQUEST_METHOD", "")
            method = method if method in KNOWN_METHODS else "other"
            # The code as text (a label, and a number in the log line): werkzeug's status
            # line always starts with an integer, and int() would cost as much again.
            status = status_line.partition(" ")[0]
            self.metrics.request_finished(method, route, status, elapsed)
            self.access_log.write(
                request_id,
                method,
                environ.get("PATH_INFO", ""),
                route,
                status,
                elapsed,
                environ.get("REMOTE_ADDR"),
            )


def install_request_observer(app: Flask) -> None:
    settings = app.extensions["settings"]
    access_log = AccessLog(settings.log_level, settings.access_log_flush_ms / 1000)
    app.wsgi_app = RequestObserver(app.wsgi_app, app.extensions["metrics"], access_log)

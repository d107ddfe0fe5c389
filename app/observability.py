"""Per-request plumbing: the request id, the HTTP metrics and the JSON access log line.

A thin WSGI middleware rather than Flask before/after hooks: the hooks and the context-local
lookups they need cost about 30 µs a request, more than everything else here together
(measured by `make bench`). The middleware reads the environ directly; the matched URL rule
(the route label) is left there by `ObservedRequest` when Flask's router sets it.
"""

import re
import secrets
import time

from flask import Flask, Request, request

from app.jsonlog import AccessLog

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
REQUEST_ID_KEY = "lifecycle_lab.request_id"
ROUTE_KEY = "lifecycle_lab.route"
UNMATCHED_ROUTE = "<unmatched>"
# Any other method token a client invents is counted as "other", so it cannot mint series.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _request_id_from(header: str | None) -> str:
    # Keep the caller's id so a trace can follow a request across services; replace one
    # that could smuggle newlines or a megabyte into our logs.
    if header and _VALID_REQUEST_ID.match(header):
        return header
    return secrets.token_hex(16)


def current_request_id() -> str:
    """The id of the request being served (for response bodies and error messages)."""
    return request.environ.get(REQUEST_ID_KEY, "")


class ObservedRequest(Request):
    """Flask's request, noting the matched URL rule in the environ for the middleware
    (Flask drops its request object from the environ before the middleware looks)."""

    @property
    def url_rule(self):
        return self.__dict__.get("_url_rule")

    @url_rule.setter
    def url_rule(self, rule) -> None:
        self.__dict__["_url_rule"] = rule
        if rule is not None:
            self.environ[ROUTE_KEY] = rule.rule


class RequestObserver:
    """Wraps the WSGI app: request id in and out, metrics and one access line per request."""

    def __init__(self, wsgi_app, metrics, access_log: AccessLog) -> None:
        self.wsgi_app = wsgi_app
        self.metrics = metrics
        self.access_log = access_log

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        request_id = _request_id_from(environ.get("HTTP_X_REQUEST_ID"))
        environ[REQUEST_ID_KEY] = request_id
        status_line = "500"

        def start_with_request_id(status, headers, exc_info=None):
            nonlocal status_line
            status_line = status
            headers.append(("X-Request-ID", request_id))
            return start_response(status, headers, exc_info)

        self.metrics.in_flight.inc()
        try:
            return self.wsgi_app(environ, start_with_request_id)
        finally:
            self.metrics.in_flight.dec()
            self._record(environ, request_id, int(status_line[:3]), started)

    def _record(self, environ, request_id: str, status: int, started: float) -> None:
        elapsed = time.perf_counter() - started
        route = environ.get(ROUTE_KEY, UNMATCHED_ROUTE)
        method = environ.get("REQUEST_METHOD", "")
        method = method if method in KNOWN_METHODS else "other"
        self.metrics.count_request(method, route, status, elapsed)
        self.access_log.write(
            request_id=request_id,
            method=method,
            path=environ.get("PATH_INFO", ""),
            route=route,
            status=status,
            duration_ms=round(elapsed * 1000, 3),
            remote_addr=environ.get("REMOTE_ADDR"),
        )


def install_request_observer(app: Flask) -> None:
    app.request_class = ObservedRequest
    access_log = AccessLog(app.extensions["settings"].log_level)
    app.wsgi_app = RequestObserver(app.wsgi_app, app.extensions["metrics"], access_log)

"""Per-request plumbing: the request id, the JSON access log line and the HTTP metrics.

Registered as before/after/teardown hooks by the factory, so every blueprint gets them
without repeating a line.
"""

import re
import secrets
import time

from flask import Flask, g, request

from app.jsonlog import AccessLog

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
UNMATCHED_ROUTE = "<unmatched>"
# Any other method token a client invents is counted as "other", so it cannot mint series.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _request_id_from(header: str | None) -> str:
    # Keep the caller's id so a trace can follow a request across services; replace one
    # that could smuggle newlines or a megabyte into our logs.
    if header and _VALID_REQUEST_ID.match(header):
        return header
    return secrets.token_hex(16)


def install_request_hooks(app: Flask) -> None:
    metrics = app.extensions["metrics"]
    access_log = AccessLog(app.extensions["settings"].log_level)

    @app.before_request
    def _start() -> None:
        g.request_id = _request_id_from(request.headers.get("X-Request-ID"))
        g.started = time.perf_counter()
        metrics.in_flight.inc()

    @app.after_request
    def _finish(response):
        route = request.url_rule.rule if request.url_rule else UNMATCHED_ROUTE
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        status = response.status_code
        method = request.method if request.method in KNOWN_METHODS else "other"
        metrics.count_request(method, route, status, elapsed)
        response.headers["X-Request-ID"] = g.get("request_id", "")
        access_log.write(
            request_id=g.get("request_id", ""),
            method=request.method,
            path=request.path,
            route=route,
            status=status,
            duration_ms=round(elapsed * 1000, 3),
            remote_addr=request.remote_addr,
        )
        return response

    @app.teardown_request
    def _done(_error) -> None:
        if "started" in g:
            metrics.in_flight.dec()

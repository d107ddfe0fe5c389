"""Per-request plumbing: the request id, the HTTP metrics and the JSON access log line.

Three Flask hooks, registered on the app so that they cover every route, including 404s:
- before_request: note the start time, take the caller's X-Request-ID (or make one), count
  the request as in flight;
- after_request: return the request id, count the request and its duration, write the access
  line — once the response exists, so the status is known (an error handler's response too);
- teardown_request: the request is no longer in flight, whatever happened.
"""

import logging
import re
import time
import uuid

from flask import Flask, current_app, g, request

# A caller's id is kept so a trace can follow a request across services, but only when it
# cannot smuggle newlines or a megabyte into our logs and labels.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
UNMATCHED_ROUTE = "<unmatched>"
# Any other method token a client invents is counted as "other", so it cannot mint series.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

access_log = logging.getLogger("app.access")


def current_request_id() -> str:
    """The id of the request being served (for response bodies and error messages)."""
    return g.get("request_id", "")


def _start_request() -> None:
    g.started = time.perf_counter()
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _VALID_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    current_app.extensions["metrics"].in_flight.inc()


def _finish_request(response):
    seconds = time.perf_counter() - g.started
    # The URL rule, not the raw path: /api/v1/predict, never one series per URL typed.
    route = request.url_rule.rule if request.url_rule else UNMATCHED_ROUTE
    method = request.method if request.method in KNOWN_METHODS else "other"
    metrics = current_app.extensions["metrics"]
    metrics.requests.labels(method, route, response.status_code).inc()
    metrics.duration.labels(method, route).observe(seconds)
    response.headers["X-Request-ID"] = g.request_id
    access_log.info(
        "request",
        extra={
            "request_id": g.request_id,
            "method": method,
            "path": request.path,
            "route": route,
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 3),
            "remote_addr": request.remote_addr,
        },
    )
    return response


def _end_request(error: BaseException | None) -> None:
    current_app.extensions["metrics"].in_flight.dec()


def install_request_observer(app: Flask) -> None:
    app.before_request(_start_request)
    app.after_request(_finish_request)
    app.teardown_request(_end_request)

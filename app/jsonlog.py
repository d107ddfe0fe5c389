"""JSON log lines: one object per line, easy to grep by request_id and to ship to a log store."""

import json
import logging
import os
import sys
import time

# Attributes every LogRecord has; anything else was passed with `extra=` and is logged.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def _timestamp(created: float) -> str:
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
        + f".{int(created % 1 * 1000):03d}Z"
    )


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": _timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "event": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure(level: str) -> None:
    """Send the app's loggers to stdout as JSON (idempotent: safe to call per app)."""
    root = logging.getLogger("app")
    root.setLevel(level)
    if not any(getattr(h, "_lifecycle_lab", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(JsonFormatter())
        handler._lifecycle_lab = True
        root.addHandler(handler)
        root.propagate = False


class AccessLog:
    """The one line per request, in the same JSON shape as the other log lines.

    Written straight to stdout rather than through `logging`, and formatted by hand: the
    logging machinery and a generic json.dumps cost more than the rest of a /healthz request
    (measured by make bench). Only `path` comes from the caller as it is, so only `path` is
    JSON-escaped; the request id is checked against a safe alphabet, the method is one of a
    known set, the route is one of the app's URL rules.
    """

    def __init__(self, level: str) -> None:
        self.enabled = logging.getLevelName(level) <= logging.INFO
        self._second = -1
        self._second_text = ""

    def _ts(self) -> str:
        now = time.time()
        second = int(now)
        if second != self._second:  # strftime once a second, not once a request
            self._second = second
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._second_text}.{int(now % 1 * 1000):03d}Z"

    def write(
        self,
        *,
        request_id: str,
        method: str,
        path: str,
        route: str,
        status: int,
        duration_ms: float,
        remote_addr: str | None,
    ) -> None:
        if not self.enabled:
            return
        stream = sys.stdout
        stream.write(
            f'{{"ts": "{self._ts()}", "level": "info", "logger": "app.access", '
            f'"pid": {os.getpid()}, "event": "request", "request_id": "{request_id}", '
            f'"method": "{method}", "path": {json.dumps(path)}, "route": "{route}", '
            f'"status": {status}, "duration_ms": {duration_ms}, '
            f'"remote_addr": {json.dumps(remote_addr)}}}\n'
        )
        stream.flush()

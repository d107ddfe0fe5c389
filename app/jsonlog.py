"""JSON log lines: one object per line, easy to grep by request_id and to ship to a log store."""

import atexit
import collections
import json
import logging
import sys
import threading
import time
import weakref
from json.encoder import encode_basestring_ascii as _json_string  # json.dumps(str), in C

from app import process_identity

# Attributes every LogRecord has; anything else was passed with `extra=` and is logged.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
# "000" to "999": the access line's three-digit fractions (of the timestamp's second, of
# duration_ms) come from this table, not from format specs, which cost a fifth of the line's
# formatting (12.5 k -> 10.3 k instructions a line, callgrind).
_THREE_DIGITS = tuple(f"{n:03d}" for n in range(1000))


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

    Lines are written in batches, as nginx's `access_log ... buffer= flush=` does: a write
    per request is a system call, and in a threaded gunicorn worker each one hands the
    interpreter lock to another thread and waits to get it back — `make bench` measured
    that at a tenth of the throughput of /healthz. A line waits at most `flush_seconds`
    (a background thread writes what is waiting), or until BATCH_LINES lines wait, and
    whatever waits at exit is written then. `flush_seconds=0` writes every line at once.
    """

    BATCH_LINES = 256

    def __init__(self, level: str, flush_seconds: float = 0.0) -> None:
        self.enabled = logging.getLevelName(level) <= logging.INFO
        self.flush_seconds = flush_seconds
        self._clock = (-1, "")  # (second, its text): one tuple, so threads never mix two
        # deque.append and popleft are atomic: the request path takes no lock.
        self._waiting: collections.deque[tuple] = collections.deque()
        self._lock = threading.Lock()  # for flushing and for starting the flusher
        self._flusher: threading.Thread | None = None

    def write(self, request_id, method, path, route, status, seconds, remote_addr) -> None:
        """Note one request: the request id, the method (a known token), the raw path, the
        route (a URL rule), the status (its code, as text), the time taken in seconds, the
        client address."""
        if not self.enabled:
            return
        # Only the facts are noted here; turning them into text is the flush's work, off
        # the request's path.
        entry = (time.time(), request_id, method, path, route, status, seconds, remote_addr)
        if self.flush_seconds <= 0:
            self._emit(self._format([entry]))
            return
        waiting = self._waiting
        waiting.append(entry)
        if len(waiting) >= self.BATCH_LINES:
            self.flush()
        elif self._flusher is None:
            self._start_flusher()

    def flush(self) -> None:
        """Write every waiting line now."""
        # One flush at a time, so batches reach the stream in the order they were noted.
        # Only flushes pop, so each finds at least the len() it saw.
        with self._lock:
            waiting = self._waiting
            entries = [waiting.popleft() for _ in range(len(waiting))]
            if entries:
                self._emit(self._format(entries))

    def _format(self, entries: list[tuple]) -> str:
        middle = f'"level": "info", "logger": "app.access", "pid": {process_identity.pid()}, '
        lines = []
        append = lines.append
        # strftime once a second, not once a line; a local for the batch, kept for the next.
        second, second_text = self._clock
        for when, request_id, method, path, route, status, seconds, remote_addr in entries:
            if not second <= when < second + 1:
                second = int(when)
                second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            remote = "null" if remote_addr is None else _json_string(remote_addr)
            micros = round(seconds * 1_000_000)  # printed as milliseconds with three decimals
            append(
                f'{{"ts": "{second_text}.{_THREE_DIGITS[int((when - second) * 1000)]}Z", {middle}'
                f'"event": "request", "request_id": "{request_id}", "method": "{method}", '
                f'"path": {_json_string(path)}, "route": "{route}", "status": {status}, '
                f'"duration_ms": {micros // 1000}.{_THREE_DIGITS[micros % 1000]}, '
                f'"remote_addr": {remote}}}\n'
            )
        self._clock = (second, second_text)
        return "".join(lines)

    @staticmethod
    def _emit(text: str) -> None:
        stream = sys.stdout  # looked up each time: a test or a runner may have replaced it
        stream.write(text)
        stream.flush()

    def _start_flusher(self) -> None:
        with self._lock:
            if self._flusher is not None:
                return
            # Started on the first line, so in the process that serves (a gunicorn worker),
            # never in one that forks it.
            # Both hold the log weakly: an app that is gone (tests build many) takes its
            # flusher with it.
            me = weakref.ref(self)
            self._flusher = threading.Thread(
                target=_flush_every, args=(me, self.flush_seconds), daemon=True
            )
            self._flusher.start()
        atexit.register(_flush_if_alive, me)  # a worker's graceful exit writes what waits


def _flush_if_alive(log_ref) -> bool:
    log = log_ref()
    if log is None:
        return False
    log.flush()
    return True


def _flush_every(log_ref, seconds: float) -> None:
    never_set = threading.Event()  # a timed wait that no test's patched time.sleep sees
    while not never_set.wait(seconds):
        if not _flush_if_alive(log_ref):
            return

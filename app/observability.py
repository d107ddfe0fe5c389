"""What the service tells about itself: JSON log lines, request ids and Prometheus metrics.

Per request, three Flask hooks registered on the app (so they also see 404s and errors):
- before_request: note the start time, take the caller's X-Request-ID (or make one), count
  the request as in flight;
- after_request: return the request id, count the request and its duration, write the JSON
  access line — once the response exists, so its status is known;
- teardown_request: the request is no longer in flight, whatever happened.

Metrics are prometheus_client's Counter, Histogram and Gauge, in its default registry.
Under gunicorn every worker is a process of its own: with PROMETHEUS_MULTIPROC_DIR set before
prometheus_client is imported (`python -m app` sees to it), each worker writes its values to
files in that directory, and /metrics merges every worker's files. A scrape that lands on any
worker sees the whole service.
"""

import functools
import json
import logging
import logging.config
import os
import re
import time
import uuid
from pathlib import Path

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from app.state import current_state

# --- metrics (names, types and labels are the contract in docs/service.md) ----------------

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONFIDENCE_BUCKETS = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)
# The training deciles: bin 0 holds values below the first edge, bin 9 those above the last.
INPUT_BINS = tuple(str(b) for b in range(10))


class Metrics:
    """Every metric of the contract, in prometheus_client's default registry."""

    def __init__(self) -> None:
        self.requests = Counter(
            "http_requests_total", "HTTP requests answered", ["method", "route", "status"]
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
        )
        self.in_flight = Gauge(
            "http_requests_in_flight",
            "Requests being answered right now",
            multiprocess_mode="livesum",  # summed over the workers alive
        )
        self.build_info = Gauge(
            "app_build_info",
            "Always 1; the labels say which build is running",
            ["version", "git_sha"],
            multiprocess_mode="livemax",
        )
        # The commit's time as a value, not a label: Prometheus can subtract it (lead time)
        # and see it step back (a rollback to an older commit). Set only when it is known.
        # One series per commit the deployment brings: the build's own (the newest, so the
        # max is the running commit) and the earlier ones since the previous deployment.
        self.commit_time = Gauge(
            "app_commit_timestamp_seconds",
            "Unix time of each commit this deployment brings (its own and any since the last one)",
            ["git_sha"],
            multiprocess_mode="livemax",
        )
        self.predictions = Counter(
            "model_predictions_total", "Predictions served", ["model_version", "predicted_class"]
        )
        self.confidence = Histogram(
            "model_prediction_confidence",
            "Probability of the predicted class",
            ["model_version"],
            buckets=CONFIDENCE_BUCKETS,
        )
        self.input_bins = Counter(
            "model_input_bin_total",
            "Input values per training-decile bin (drift is computed from it in Prometheus)",
            ["feature", "bin"],
        )
        self.model_info = Gauge(
            "model_active_info",
            "Always 1; the label says which model version this process serves",
            ["model_version"],
            multiprocess_mode="livemax",
        )


# Made on first use, once per process: a name can be registered only once, and importing the
# app must write no metric file (gunicorn's master imports it before it empties the directory).
@functools.cache
def metrics() -> Metrics:
    return Metrics()


def record_start(state) -> None:
    """The series that say what runs: the build, its commit and the model, each at start."""
    settings, series = state.settings, metrics()
    series.build_info.labels(settings.app_version, settings.git_sha).set(1)
    if settings.git_commit_time is not None:
        series.commit_time.labels(settings.git_sha).set(settings.git_commit_time.timestamp())
        for sha, committed in settings.git_changes:
            series.commit_time.labels(sha).set(committed.timestamp())
    if state.model is not None:
        series.model_info.labels(state.model.version).set(1)
        # Every bin exists from the start, at 0: the drift rule needs all ten per feature.
        for feature in state.model.feature_names:
            for bin_label in INPUT_BINS:
                series.input_bins.labels(feature, bin_label)


def record_prediction(model, values, predicted: str, confidence: float) -> None:
    series = metrics()
    series.predictions.labels(model.version, predicted).inc()
    series.confidence.labels(model.version).observe(confidence)
    for feature, bin_index in zip(model.feature_names, model.bins_of(values), strict=True):
        series.input_bins.labels(feature, INPUT_BINS[bin_index]).inc()


metrics_blueprint = Blueprint("metrics", __name__)


@metrics_blueprint.get("/metrics")
def metrics_endpoint():
    if current_state().settings.multiprocess_dir:
        # A fresh registry per scrape, as prometheus_client documents for multiprocess mode:
        # every worker's files merged, and the CPU and memory of the whole process tree.
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(ProcessTreeCollector())
    else:
        registry = REGISTRY  # one process (flask run, a test's app): the stock collectors work
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


class ProcessTreeCollector:
    """CPU, memory and worker count of the gunicorn master and all its workers.

    prometheus_client's process collector reports only the process that answers the scrape,
    and multiprocess mode does not register it at all; the container, VM or pod uses what
    the whole tree uses. Read from /proc; the scrape is served by a worker, whose parent is
    the master.

    CPU is a counter, so it must never go down: a worker that exits (a restart, a crash, a
    max_requests recycle) takes its CPU time out of the live processes' sum. The kernel adds
    it to its parent's cutime and cstime once the parent has reaped it, so the master's own
    times plus its children's times plus the live workers' times only ever grow.
    """

    def collect(self):
        master = os.getppid()
        workers = children_of(master)
        cpu = rss = 0.0
        fds = 0
        for pid in (master, *workers):
            fields = _stat_fields(pid)
            if fields is None:  # exited since we listed it
                continue
            # stat fields (1-based, as in proc(5)): 14 utime, 15 stime, 24 rss
            cpu += (int(fields[11]) + int(fields[12])) / _TICKS
            if pid == master:  # 16 cutime, 17 cstime: the workers that exited (reaped)
                cpu += (int(fields[13]) + int(fields[14])) / _TICKS
            rss += int(fields[21]) * _PAGE
            fds += len(os.listdir(f"/proc/{pid}/fd"))
        start = _boot_time() + int(_stat_fields(master)[19]) / _TICKS
        yield CounterMetricFamily(
            "process_cpu_seconds", "CPU time, master and workers, exited workers included", cpu
        )
        yield GaugeMetricFamily("process_resident_memory_bytes", "Memory, master and workers", rss)
        yield GaugeMetricFamily("process_open_fds", "Open file descriptors, all processes", fds)
        yield GaugeMetricFamily("process_start_time_seconds", "Master's start (unix time)", start)
        yield GaugeMetricFamily("gunicorn_workers", "Live gunicorn worker processes", len(workers))


_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name sits in parentheses and may contain spaces: split after it.
    return raw[raw.rindex(")") + 2 :].split()


def _boot_time() -> float:
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    raise RuntimeError("/proc/stat has no btime line")


def children_of(parent: int) -> list[int]:
    """Pids whose parent is `parent` (a gunicorn master's workers), read from /proc."""
    return [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name)))
        if int(fields[1]) == parent  # field 4 of stat: ppid
    ]


# --- request ids, the access line and the request metrics ---------------------------------

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
    metrics().in_flight.inc()


def _finish_request(response):
    seconds = time.perf_counter() - g.started
    # The URL rule, not the raw path: /api/v1/predict, never one series per URL typed.
    route = request.url_rule.rule if request.url_rule else UNMATCHED_ROUTE
    method = request.method if request.method in KNOWN_METHODS else "other"
    metrics().requests.labels(method, route, response.status_code).inc()
    metrics().duration.labels(method, route).observe(seconds)
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
    metrics().in_flight.dec()


def install_request_observer(app: Flask) -> None:
    app.before_request(_start_request)
    app.after_request(_finish_request)
    app.teardown_request(_end_request)


# --- JSON log lines -------------------------------------------------------------------------

# Attributes every LogRecord has; anything else was passed with `extra=` and is logged.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line, easy to grep by request_id and to ship to a log store.
    A field passed with `extra={...}` becomes a key of the line. gunicorn's own error log
    uses it too (gunicorn.conf.py)."""

    # logging's own time formatting, in UTC: "2026-12-03T08:35:06.123Z"
    converter = time.gmtime
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "event": record.getMessage(),
        }
        entry.update((key, value) for key, value in vars(record).items() if key not in _STANDARD)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str) -> None:
    """Send the app's loggers to stdout as JSON lines. Safe to call once per app: dictConfig
    replaces the "app" logger's handler rather than adding a second one."""
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,  # leave gunicorn's and the libraries' loggers be
            "formatters": {"json": {"()": JsonFormatter}},
            "handlers": {
                "stdout": {
                    "class": "logging.StreamHandler",
                    "stream": "ext://sys.stdout",
                    "formatter": "json",
                }
            },
            "loggers": {"app": {"handlers": ["stdout"], "level": level, "propagate": False}},
        }
    )

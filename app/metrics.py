"""The metrics of the contract, and the /metrics endpoint that serves them.

Under gunicorn every worker is its own process with its own counters. prometheus_client's
multiprocess mode handles that: with PROMETHEUS_MULTIPROC_DIR set before prometheus_client is
imported (gunicorn.conf.py does it), every Counter, Histogram and Gauge writes its values to a
file of that directory, and /metrics merges all the files with a MultiProcessCollector. So a
scrape that lands on any worker sees the whole service.

Outside gunicorn (unit tests, `flask run`) the same metrics simply live in memory, in a
registry of their own per app.
"""

import os

from flask import Blueprint, Response, current_app
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)

from app.process_metrics import ProcessTreeCollector

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONFIDENCE_BUCKETS = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)
# The training deciles: bin 0 holds values below the first edge, bin 9 those above the last.
INPUT_BINS = tuple(str(b) for b in range(10))


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class Metrics:
    """Every metric the service writes. One instance per app, made by the factory."""

    def __init__(self, shared_state) -> None:
        # `*_created` series double the exposition for no dashboard we draw; multiprocess
        # mode never writes them, so single-process mode should not either.
        disable_created_metrics()
        # Each app registers its metrics in a registry of its own, so tests can build many
        # apps in one process. In multiprocess mode the values go to the directory's files
        # whatever the registry; it is only read outside gunicorn.
        self.registry = registry = CollectorRegistry()
        self.shared_state = shared_state
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.in_flight = Gauge(
            "http_requests_in_flight",
            "Requests being answered right now",
            multiprocess_mode="livesum",  # summed over the workers alive
            registry=registry,
        )
        self.build_info = Gauge(
            "app_build_info",
            "Always 1; the labels say which build is running",
            ["version", "git_sha"],
            multiprocess_mode="livemax",
            registry=registry,
        )
        # The commit's time as a value, not a label: Prometheus can subtract it (lead time)
        # and see it step back (a rollback to an older commit). Set only when it is known.
        self.commit_time = Gauge(
            "app_commit_timestamp_seconds",
            "Unix time of the commit this build was made from",
            ["git_sha"],
            multiprocess_mode="livemax",
            registry=registry,
        )
        self.predictions = Counter(
            "model_predictions_total",
            "Predictions served",
            ["model_version", "predicted_class"],
            registry=registry,
        )
        self.confidence = Histogram(
            "model_prediction_confidence",
            "Probability of the predicted class",
            ["model_version"],
            buckets=CONFIDENCE_BUCKETS,
            registry=registry,
        )
        self.input_bins = Counter(
            "model_input_bin_total",
            "Input values per training-decile bin (drift is computed from it in Prometheus)",
            ["feature", "bin"],
            registry=registry,
        )
        self.model_info = Gauge(
            "model_active_info",
            "Always 1; the label says which model version this process serves",
            ["model_version"],
            multiprocess_mode="livemax",
            registry=registry,
        )

    def exposition(self) -> bytes:
        # A fresh registry per scrape, as prometheus_client documents for multiprocess mode.
        registry = CollectorRegistry()
        if multiprocess_dir():
            multiprocess.MultiProcessCollector(registry)  # every worker's files, merged
        else:
            registry.register(_Forward(self.registry))  # this process's own metrics
        registry.register(ProcessTreeCollector(self.shared_state))
        return generate_latest(registry)


class _Forward:
    """A collector that adds one registry's metrics to another (the scrape's)."""

    def __init__(self, source: CollectorRegistry) -> None:
        self._source = source

    def collect(self):
        return self._source.collect()


metrics_blueprint = Blueprint("metrics", __name__)


@metrics_blueprint.get("/metrics")
def metrics_endpoint():
    body = current_app.extensions["metrics"].exposition()
    return Response(body, content_type=CONTENT_TYPE_LATEST)

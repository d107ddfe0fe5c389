"""The metrics of the contract, and the /metrics endpoint that serves them.

Under gunicorn every worker is its own process with its own counters. prometheus_client's
multiprocess mode (PROMETHEUS_MULTIPROC_DIR set before it is imported — gunicorn.conf.py does
that) keeps each worker's values in a memory-mapped file; /metrics merges all of them, so a
scrape that lands on any worker sees the whole service.
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


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class Metrics:
    """Every metric the service writes. One instance per app, made by the factory."""

    def __init__(self) -> None:
        # `*_created` series double the exposition for no dashboard we draw; multiprocess
        # mode never writes them, so single-process mode should not either.
        disable_created_metrics()
        # Outside gunicorn (tests, flask run) the metrics live in this private registry;
        # in multiprocess mode the registry is only a home: values go to the mmap files.
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=r,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.in_flight = Gauge(
            "http_requests_in_flight",
            "Requests being answered right now",
            multiprocess_mode="livesum",
            registry=r,
        )
        self.build_info = Gauge(
            "app_build_info",
            "Always 1; the labels say which build is running",
            ["version", "git_sha"],
            multiprocess_mode="livemax",
            registry=r,
        )
        self.predictions = Counter(
            "model_predictions_total",
            "Predictions served",
            ["model_version", "predicted_class"],
            registry=r,
        )
        self.confidence = Histogram(
            "model_prediction_confidence",
            "Probability of the predicted class",
            ["model_version"],
            buckets=CONFIDENCE_BUCKETS,
            registry=r,
        )
        self.input_bins = Counter(
            "model_input_bin_total",
            "Input values per training-decile bin (drift is computed from it in Prometheus)",
            ["feature", "bin"],
            registry=r,
        )
        self.model_info = Gauge(
            "model_active_info",
            "Always 1; the label says which model version this process serves",
            ["model_version"],
            multiprocess_mode="livemax",
            registry=r,
        )

        self._request_children: dict[tuple, tuple] = {}

    def count_request(self, method: str, route: str, status: int, seconds: float) -> None:
        # Label children are cached: .labels() validates and locks on every call.
        key = (method, route, status)
        children = self._request_children.get(key)
        if children is None:
            children = (
                self.requests.labels(method, route, str(status)),
                self.duration.labels(method, route),
            )
            self._request_children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def exposition(self) -> bytes:
        registry = CollectorRegistry()
        if multiprocess_dir():
            multiprocess.MultiProcessCollector(registry)
        else:
            registry.register(_Forward(self.registry))
        registry.register(ProcessTreeCollector(current_app.extensions["shared_state"]))
        return generate_latest(registry)


class _Forward:
    """Adds the private registry's metrics to a scrape registry."""

    def __init__(self, source: CollectorRegistry) -> None:
        self._source = source

    def collect(self):
        return self._source.collect()


metrics_blueprint = Blueprint("metrics", __name__)


@metrics_blueprint.get("/metrics")
def metrics_endpoint():
    body = current_app.extensions["metrics"].exposition()
    return Response(body, content_type=CONTENT_TYPE_LATEST)

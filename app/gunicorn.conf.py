"""gunicorn settings for Lifecycle Lab — read by `gunicorn --config app/gunicorn.conf.py`.

Everything comes from the environment (see app/config.py). Three things here go beyond
stock gunicorn:
  * prometheus multiprocess: the metrics directory is chosen before prometheus_client is
    imported, wiped at start-up, and a dead worker's live gauges are removed; one made
    here, for a run that names none, is removed at exit;
  * shared state: one memory page made before the fork, seen by every worker (app/state.py);
  * drain on SIGTERM: /readyz answers 503 for DRAIN_SECONDS while every worker keeps serving,
    so a load balancer stops sending; only then does the graceful stop close the listener.
    Stock gunicorn closes it at once and resets the connections still in the backlog.
"""

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

# Must happen before anything imports prometheus_client (it reads this at import time).
# A run that names no directory (`make run`) gets a private one, removed when gunicorn exits;
# the second variable tells a re-read of this file (a HUP reload) that the directory is ours.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="lifecycle-lab-metrics-")
    os.environ["LIFECYCLE_LAB_PRIVATE_METRICS_DIR"] = os.environ["PROMETHEUS_MULTIPROC_DIR"]

from prometheus_client import multiprocess

from app import state
from app.config import ConfigError, Settings


def _remove_private_metrics_dir() -> None:
    private = os.environ.get("LIFECYCLE_LAB_PRIVATE_METRICS_DIR")
    if private and private == os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        shutil.rmtree(private, ignore_errors=True)


try:
    settings = Settings.from_env()
except ConfigError as error:
    _remove_private_metrics_dir()
    sys.exit(f"lifecycle-lab: invalid configuration: {error}")

bind = f"{settings.host}:{settings.port}"
workers = settings.web_concurrency
threads = settings.gunicorn_threads
worker_class = "gthread"
graceful_timeout = settings.graceful_timeout
timeout = 30
keepalive = 5
accesslog = None  # the app writes one JSON access line per request, with its request id
errorlog = "-"
loglevel = settings.log_level.lower()
proc_name = "lifecycle-lab"
# gunicorn 27's control socket is one more admin surface, at a path in $HOME shared by every
# instance; signals (TERM, HUP) are all this service needs.
control_socket_disable = True
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "app.jsonlog.JsonFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    "loggers": {
        "gunicorn.error": {"handlers": ["stderr"], "level": loglevel.upper(), "propagate": False}
    },
}


def on_starting(server):
    metrics_dir = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    metrics_dir.mkdir(parents=True, exist_ok=True)
    for stale in metrics_dir.glob("*.db"):  # counters of a previous run must not leak in
        stale.unlink()
    shared = state.create_for_master()
    shared.set_master_pid(os.getpid())
    server.handle_term = _drain_then_stop(server, shared, settings.drain_seconds)


def child_exit(server, worker):
    # prometheus_client's documented hook: a dead worker's live gauges leave the sum.
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    # Not while a USR2 upgrade is under way: the other master serves from the same directory.
    # gunicorn makes the same test before it removes a unix socket.
    if server.reexec_pid == server.master_pid == 0:
        _remove_private_metrics_dir()


def _drain_then_stop(server, shared, drain_seconds):
    def handle_term():
        server.log.info("SIGTERM: draining for %ss before the graceful stop", drain_seconds)
        shared.start_draining()
        deadline = time.monotonic() + drain_seconds
        while (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, 0.5))
        raise StopIteration  # gunicorn's own graceful stop from here on

    return handle_term

"""gunicorn's settings for Lifecycle Lab, read by `gunicorn --config app/gunicorn.conf.py`
(`python -m app` starts it so; see app/__main__.py for the drain on SIGTERM).

Everything comes from the environment (app/config.py). Two hooks go beyond stock gunicorn:
  * on_starting: the run's directory (PROMETHEUS_MULTIPROC_DIR) is emptied of the previous
    run's metric files, and the switches every worker shares are made there (app/state.py);
  * child_exit: a dead worker's live gauges leave the sum (prometheus_client's own hook).
"""

import os
import sys
from pathlib import Path

# prometheus_client reads PROMETHEUS_MULTIPROC_DIR when it is imported: it must be set already.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    sys.exit("lifecycle-lab: start the server with `python -m app`, which sets it")

from prometheus_client import multiprocess

from app.config import ConfigError, Settings
from app.state import Switches

try:
    settings = Settings.from_env()
except ConfigError as error:
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
    "formatters": {"json": {"()": "app.observability.JsonFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    "loggers": {
        "gunicorn.error": {"handlers": ["stderr"], "level": loglevel.upper(), "propagate": False}
    },
}


def on_starting(server):
    run_dir = Path(settings.multiprocess_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    for stale in run_dir.glob("*.db"):  # counters of a previous run must not leak in
        stale.unlink()
    Switches.create(run_dir)


def child_exit(server, worker):
    multiprocess.mark_process_dead(worker.pid)

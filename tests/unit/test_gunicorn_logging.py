"""gunicorn, as configured, must not build an access record per request: the app writes its
own access line, and gunicorn's record cost a fifth of a /healthz request."""

import json
import os

from tests.helpers import run_python

# Loads app/gunicorn.conf.py into a gunicorn Config as gunicorn itself does, then asks a logger
# for the access record of a request whose every attribute read fails. Run in a child process:
# the config file sets environment variables and the logger configures `logging` globally.
_ACCESS_PROBE = """
import json, runpy
from datetime import timedelta
from gunicorn.config import Config
from gunicorn.glogging import Logger

class Untouchable:
    def __getattr__(self, name):
        raise LookupError(name)

cfg = Config()
for name, value in runpy.run_path("app/gunicorn.conf.py").items():
    if name in cfg.settings:
        cfg.set(name, value)

def reads(logger_class):
    try:
        logger_class(cfg).access(Untouchable(), Untouchable(), {}, timedelta(0))
    except LookupError as error:
        return str(error)
    return None

print(json.dumps({
    "configured": cfg.logger_class.__module__ + "." + cfg.logger_class.__name__,
    "configured_reads": reads(cfg.logger_class),
    "stock_reads": reads(Logger),
}))
"""


def test_the_configured_gunicorn_logger_builds_no_access_record(tmp_path):
    # A metrics directory of its own: the config file would make one, and only a real
    # gunicorn's exit removes that.
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    result = run_python(_ACCESS_PROBE, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.splitlines()[-1])
    assert answer["configured"] == "app.gunicorn_logging.ErrorLogOnly"
    assert answer["configured_reads"] is None
    # What the override saves: stock gunicorn, given this same config, reads the request and
    # the response to build its record (and would make this test fail without the override).
    assert answer["stock_reads"] is not None

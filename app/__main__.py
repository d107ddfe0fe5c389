"""`python -m app` — the server, as `make run`, the container image and the systemd unit start it.

It runs gunicorn (with app/gunicorn.conf.py) as its child and stands in front of it for one
reason: a drain on SIGTERM. On SIGTERM gunicorn closes its listening socket at once, so
connections a load balancer is still sending are refused. So on SIGTERM this process:
  1. turns on the shared `draining` switch: /readyz answers 503 in every worker, and every
     worker keeps serving;
  2. waits DRAIN_SECONDS, for load balancers to see the 503 and stop sending;
  3. forwards SIGTERM: gunicorn's documented graceful stop (in-flight requests finish).
Every other signal gunicorn knows (HUP reloads, INT and QUIT stop at once, TTIN/TTOU...) is
passed on unchanged, and this process exits with gunicorn's exit status.

It also says where to look: once /readyz answers 200, one log line gives the service's URL
and its API docs' (the first thing `make run` users need, easily lost among the JSON lines).
"""

import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from app.config import ALL_INTERFACES, ConfigError, Settings
from app.observability import configure_logging
from app.state import Switches

log = logging.getLogger("app.server")

GUNICORN_CONFIG = Path(__file__).with_name("gunicorn.conf.py")
PASSED_ON = (
    signal.SIGHUP,
    signal.SIGINT,
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGUSR2,
    signal.SIGTTIN,
    signal.SIGTTOU,
    signal.SIGWINCH,
)
READY_WITHIN_SECONDS = 60  # after that, /readyz itself says what is missing


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 60) -> str | None:
    """Poll `url` until it answers 200. None when it does; otherwise why not (the process
    exited, or the time ran out). The scripts and tests that start a server wait with it too
    (scripts/launch.py)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return f"exited with {proc.returncode}"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310  # nosec B310
                if response.status == 200:
                    return None
        except OSError:  # not listening yet, or a 503 (HTTPError is an OSError)
            pass
        time.sleep(0.2)
    return f"not ready after {timeout}s"


def announce_when_ready(settings: Settings, gunicorn: subprocess.Popen) -> None:
    """Log the URLs to open once /readyz answers 200 (never, if gunicorn stops first)."""
    host = "localhost" if settings.host == ALL_INTERFACES else settings.host
    url = f"http://{host}:{settings.port}"
    if wait_until_up(url + "/readyz", gunicorn, READY_WITHIN_SECONDS) is None:
        docs = f", API docs at {url}/docs/" if settings.api_docs else ""
        log.info(f"ready: serving at {url}/{docs}", extra={"url": url})
    elif gunicorn.poll() is None:
        log.warning(f"not ready after {READY_WITHIN_SECONDS} s: see {url}/readyz")


def main() -> int:
    try:
        settings = Settings.from_env()  # a bad value stops here, before gunicorn starts
    except ConfigError as error:
        sys.exit(f"lifecycle-lab: invalid configuration: {error}")
    configure_logging(settings.log_level)

    env = dict(os.environ)
    private_dir = None
    if settings.multiprocess_dir is None:
        # `make run` names no directory: a private one, removed when the server stops.
        private_dir = tempfile.mkdtemp(prefix="lifecycle-lab-run-")
        env["PROMETHEUS_MULTIPROC_DIR"] = private_dir
    run_dir = Path(env["PROMETHEUS_MULTIPROC_DIR"])

    gunicorn = subprocess.Popen(  # noqa: S603 - a fixed command, this very Python  # nosec B603
        [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONFIG), "app:create_app()"],
        env=env,
    )

    threading.Thread(target=announce_when_ready, args=(settings, gunicorn), daemon=True).start()

    def pass_on(signum, _frame):
        gunicorn.send_signal(signum)

    def drain_then_stop(_signum, _frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one drain, however many SIGTERMs
        Switches.open(run_dir).start_draining()
        log.info("SIGTERM: draining", extra={"drain_seconds": settings.drain_seconds})
        time.sleep(settings.drain_seconds)
        gunicorn.send_signal(signal.SIGTERM)

    for signum in PASSED_ON:
        signal.signal(signum, pass_on)
    signal.signal(signal.SIGTERM, drain_then_stop)
    try:
        status = gunicorn.wait()
    finally:
        if private_dir:
            shutil.rmtree(private_dir, ignore_errors=True)
    return 128 - status if status < 0 else status  # killed by a signal: the shell's 128 + n


if __name__ == "__main__":
    sys.exit(main())

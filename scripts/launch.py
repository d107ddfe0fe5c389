"""How this repository starts its own gunicorn on loopback: the tests, `make bench` and
`make demo` all build the command and the environment here (and wait for it with the
server's own `wait_until_up`, app/__main__.py), so they run the service the way `make run`
and the container do (app/gunicorn.conf.py) and cannot drift apart."""

import os
import socket
import sys
from pathlib import Path

from model_registry import DEFAULT_MODEL_DIR

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).parent / "gunicorn"  # the venv's, beside this python


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_command(app_spec: str | None = None) -> list[str]:
    """The service as `make run` starts it (`python -m app`), or another WSGI app under the
    service's gunicorn settings (make bench's baselines); run it with cwd=ROOT."""
    if app_spec is None:
        return [sys.executable, "-m", "app"]
    return [str(GUNICORN), "--config", "app/gunicorn.conf.py", app_spec]


def gunicorn_env(port: int, metrics_dir: Path, **settings: str) -> dict[str, str]:
    """This process's environment plus a loopback bind on `port`, a private metrics
    directory and the committed model registry; `settings` override any variable."""
    return {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "MODEL_DIR": str(ROOT / DEFAULT_MODEL_DIR),
        "PYTHONPATH": str(ROOT),
        **settings,
    }

"""How this repository starts its own gunicorn on loopback: the tests, `make bench` and
`make demo` all build the command and the environment here, so they run the service the way
`make run` and the container do (app/gunicorn.conf.py) and cannot drift apart."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).parent / "gunicorn"  # the venv's, beside this python
APP_SPEC = "app:create_app()"


def gunicorn_command(app_spec: str = APP_SPEC) -> list[str]:
    """gunicorn with the service's own config file; run it with cwd=ROOT."""
    return [str(GUNICORN), "--config", "app/gunicorn.conf.py", app_spec]


def gunicorn_env(port: int, metrics_dir: Path, **settings: str) -> dict[str, str]:
    """This process's environment plus a loopback bind on `port`, a private metrics
    directory and the committed model registry; `settings` override any variable."""
    return {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "MODEL_DIR": str(ROOT / "models"),
        "PYTHONPATH": str(ROOT),
        **settings,
    }

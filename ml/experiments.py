"""See the experiments: the MLflow UI on the tracking store that training writes to.

The UI is the full `mlflow` package, which the project does not install: it pins the web
stack (gunicorn<27) that the service must stay free to upgrade, and brings pandas, pyarrow
and more. `uv tool run` gives it an environment of its own, cached after the first start, at
the very version of the mlflow-skinny client in uv.lock, so client and server agree on the
store's schema. The store's SQLite file is shared: runs appear as training records them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from importlib.metadata import version

from ml import tracking
from ml.workspace import Workspace

# The server's settings beyond its command line. Telemetry off, as for the client; and no
# background job workers: they run MLflow's GenAI jobs, which this project has none of, and
# each is a Python process of its own (seven here, 240 MB apiece).
SERVER_ENV = {"MLFLOW_DISABLE_TELEMETRY": "true", "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}


def tool_command(*command: str, offline: bool = False) -> list[str]:
    """A command run in the full mlflow's tool environment, at the client's version."""
    uv = shutil.which("uv")
    if uv is None:
        raise FileNotFoundError("uv is not on the PATH: start the UI with `make experiments`")
    spec = f"mlflow=={version('mlflow-skinny')}"
    # --compile-bytecode: the .pyc files are written once, when the environment is made, so
    # that every later start reads them (mk/core.mk does the same for .venv).
    options = ["--compile-bytecode", *(["--offline"] if offline else [])]
    return [uv, "tool", "run", *options, "--from", spec, *command]


def mlflow_command(*args: str) -> list[str]:
    return tool_command("mlflow", *args)


def installed() -> bool:
    """Is the tool environment in uv's cache already? Offline, uv can only reuse it; a bare
    Python in it starts in about a second, where the mlflow command takes many."""
    probe = tool_command("python", "-c", "", offline=True)
    return subprocess.run(probe, capture_output=True, check=False).returncode == 0


def server_command(
    backend_store_uri: str, artifacts: str | None, host: str, port: int
) -> list[str]:
    command = mlflow_command("server", "--backend-store-uri", backend_store_uri)
    # One worker: the UI serves one student. MLflow's default, four, is four processes that
    # each import MLflow, and under load they were still starting when a stop came and hung it.
    command += ["--host", host, "--port", str(port), "--workers", "1"]
    if artifacts:  # where runs that the server itself creates keep their files
        command += ["--artifacts-destination", artifacts]
    return command


def prepare() -> int:
    """Install the server's tool environment now, rather than on the UI's first start."""
    return subprocess.run(mlflow_command("--version"), check=False).returncode


def serve_ui(ws: Workspace, host: str, port: int) -> int:
    """Serve the UI on this workspace's store (replaces this process); 0 if a server exists."""
    chosen = tracking.chosen_uri()
    if chosen and chosen.startswith(("http://", "https://")):
        print(f"MLFLOW_TRACKING_URI is a tracking server: open {chosen}")
        return 0
    uri = tracking.tracking_uri(ws)
    experiment_id = tracking.connect(ws)  # creates the default store, or says which one fails
    command = server_command(uri, tracking.artifact_location(uri), host, port)
    if not installed():
        print(f"first start: installs mlflow {version('mlflow-skinny')} into a uv tool environment")
    print(f"MLflow UI: http://{host}:{port}/ (store {uri}; Ctrl-C stops it)")
    print(f"  the runs: http://{host}:{port}/#/experiments/{experiment_id}/runs")
    name = ws.config["model"]["name"]
    print(f"  the model registry: http://{host}:{port}/#/models/{name}")
    # The server replaces this process, so Ctrl-C reaches it directly.
    os.execve(command[0], command, {**os.environ, **SERVER_ENV})  # noqa: S606

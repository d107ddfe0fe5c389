"""Helpers shared by the test suites (importable as `tests.helpers`).

`require_tool` is how every test asks for an external program: on a developer machine a
missing tool skips the test with its name; under CI (`CI=true`) it fails the test, so a green
CI run can never hide an artifact that was not really checked.
"""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from app.observability import children_of
from scripts.launch import ROOT, free_port, gunicorn_command, gunicorn_env

VENV_BIN = Path(sys.executable).parent


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def missing(message: str):
    """Something a test needs is not here: skip locally, fail under CI (`CI=true`)."""
    if in_ci():
        pytest.fail(f"{message} (CI=true: a missing prerequisite is an error, not a skip)")
    else:
        pytest.skip(message)


def answers(url: str) -> bool:
    """True when `url` answers 200 now (a server that is not up yet answers nothing)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:  # refused, reset, timed out, or an HTTP error status
        return False


def require_tool(name: str) -> str:
    """Return the path of tool `name`, looked up in the venv first, then on PATH."""
    search_path = f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    found = shutil.which(name, path=search_path)
    if found:
        return found
    missing(f"required tool '{name}' is not installed")


class GunicornServer:
    """A real gunicorn master running this repository's app (see `run_gunicorn`)."""

    def __init__(self, proc: "subprocess.Popen", url: str, log_path: Path, workers: int) -> None:
        self.proc = proc
        self.url = url
        self.log_path = log_path
        self.workers = workers

    def worker_pids(self) -> list[int]:
        # python -m app (self.proc) -> the gunicorn master -> its workers
        masters = children_of(self.proc.pid)
        return sorted(worker for master in masters for worker in children_of(master))

    @contextlib.contextmanager
    def only_worker(self, pid: int):
        """Pause every other worker (SIGSTOP), so new connections can only go to `pid`."""
        others = [p for p in self.worker_pids() if p != pid]
        for other in others:
            os.kill(other, signal.SIGSTOP)
        try:
            yield
        finally:
            for other in others:
                os.kill(other, signal.SIGCONT)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def access_lines(self) -> list[dict]:
        """The JSON access lines written so far."""
        return [
            json.loads(line)
            for line in self.log().splitlines()
            if line.startswith("{") and '"event": "request"' in line
        ]

    def wait_for_access_lines(self, done, timeout: float = 10.0) -> list[dict]:
        """Access lines once `done(lines)` holds (workers write them as they serve)."""
        deadline = time.monotonic() + timeout
        while not done(lines := self.access_lines()) and time.monotonic() < deadline:
            time.sleep(0.1)
        return lines

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}:\n{self.log()}")
            if answers(f"{self.url}/readyz") and len(self.worker_pids()) == self.workers:
                return
            time.sleep(0.1)
        raise TimeoutError(f"gunicorn not ready after {timeout}s:\n{self.log()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # quick shutdown: tests have no traffic left
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@contextlib.contextmanager
def run_gunicorn(port: int | None = None, workers: int = 2, env: dict | None = None):
    """Start gunicorn with app/gunicorn.conf.py on loopback, wait for /readyz, stop on exit.
    `env` adds to the environment; a value of None leaves a variable out (as `make run`
    leaves out PROMETHEUS_MULTIPROC_DIR)."""
    port = port or free_port()
    workdir = Path(tempfile.mkdtemp(prefix="lifecycle-lab-test-"))
    environment = gunicorn_env(
        port,
        workdir / "metrics",
        **{"WEB_CONCURRENCY": str(workers), "DRAIN_SECONDS": "1", **(env or {})},
    )
    environment = {name: value for name, value in environment.items() if value is not None}
    log_path = workdir / "gunicorn.log"
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            gunicorn_command(), cwd=ROOT, env=environment, stdout=log_file, stderr=subprocess.STDOUT
        )
    server = GunicornServer(proc, f"http://127.0.0.1:{port}", log_path, workers)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def run_python(script: str, *args: str, env: dict | None = None, timeout: float = 120):
    """Run `script` with this venv's Python in a child process at the repository root, so that
    nothing it imports or configures (environment, logging, modules) touches the test process."""
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# Runs gunicorn.conf.py and the app in a child process with exactly the environment given.
_APP_PROBE = """
import json, runpy, sys
conf = runpy.run_path("app/gunicorn.conf.py")
from app import create_app
app = create_app(conf["settings"])
client = app.test_client()
print("PROBE " + json.dumps({
    "bind": conf["bind"],
    "graceful_timeout": conf["graceful_timeout"],
    "drain_seconds": conf["settings"].drain_seconds,
    "chaos_enabled": conf["settings"].chaos_enabled,
    "app_env": conf["settings"].app_env,
    "routes": {r.rule: sorted(r.methods) for r in app.url_map.iter_rules()},
    "status": {path: client.get(path).status_code for path in json.loads(sys.argv[1])},
}))
"""


def probe_app(env: dict, paths=()) -> dict:
    """What gunicorn's config and the app make of a deployment's environment (a pod's, a
    host's): bind, timeouts, chaos, routes {rule: methods}, and the status of GET `paths`.
    Computed in a child process, so nothing of the test process leaks in."""
    result = run_python(_APP_PROBE, json.dumps(sorted(set(paths))), env=env, timeout=60)
    assert result.returncode == 0, f"the app refuses this environment:\n{result.stderr}"
    # The app's own log lines share stdout (access lines may come after, at exit).
    (answer,) = [line for line in result.stdout.splitlines() if line.startswith("PROBE ")]
    return json.loads(answer.removeprefix("PROBE "))


def fake_bin(tmp_path: Path, **programs: str) -> Path:
    """A directory of stand-in programs (name=script text), to put first on PATH: how the
    tests run a deploy script against a `kubectl` that records its calls instead of a cluster."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, text in programs.items():
        path = bin_dir / name
        path.write_text(text)
        path.chmod(0o755)
    return bin_dir


def run_deploy_overlay(*args: str, env: dict | None = None, timeout: float = 120):
    """scripts/deploy_overlay.py (what `make deploy` and `make deploy-render` run), at the root."""
    return subprocess.run(
        [sys.executable, "scripts/deploy_overlay.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@contextlib.contextmanager
def run_mlflow_server(workdir: Path, backend_store_uri: str, timeout: float = 240):
    """A real `mlflow server` on loopback, as `make experiments` starts it; yields its URL.

    The first start of a machine installs mlflow into its uv tool environment (.ci/run does
    that ahead); later starts take seconds. Its own process group, so stopping it stops the
    web workers it spawns too.
    """
    from ml.experiments import SERVER_ENV, server_command
    from ml.tracking import artifact_location

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = workdir / "mlflow-server.log"
    command = server_command(
        backend_store_uri, artifact_location(backend_store_uri), "127.0.0.1", port
    )
    env = {**os.environ, **SERVER_ENV}
    env.pop("MLFLOW_TRACKING_URI", None)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            command,
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + timeout
        while not answers(f"{url}/health"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    f"mlflow server did not answer on {url} (exit {proc.poll()}):\n"
                    + log_path.read_text(errors="replace")[-3000:]
                )
            time.sleep(0.5)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def loaded_from_elsewhere(page, origin: str) -> list[str]:
    """Every resource the browser page has loaded so far that did not come from `origin` (a CDN,
    say); raises if the page loaded nothing at all (the check would then prove nothing)."""
    loaded = page.execute_script(
        "return performance.getEntriesByType('resource').map(entry => entry.name)"
    )
    assert loaded, "the page has loaded no resource"
    return [url for url in loaded if not url.startswith(f"{origin}/")]

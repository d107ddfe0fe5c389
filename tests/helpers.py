"""Helpers shared by the test suites (importable as `tests.helpers`).

`require_tool` is how every test asks for an external program: on a developer machine a
missing tool skips the test with its name; under CI (`CI=true`) it fails the test, so a green
CI run can never hide an artifact that was not really checked.

`start_server` and `stop_server` are how every test runs a long-lived program (gunicorn,
Prometheus, Alertmanager, the MLflow server, a documented `make run`): each in a process group
of its own, stopped with SIGTERM as platforms stop it, and killed whole - with a failed test -
when it does not stop. tests/conftest.py checks after the suite that no group is left.
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

from app.__main__ import wait_until_up
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


# The process groups this test process started, for the check after the suite (conftest.py).
STARTED_GROUPS: list[int] = []


def start_server(argv: list[str], log_path: Path, **popen_options) -> subprocess.Popen:
    """Start a long-lived program in a session of its own, its output in `log_path`.

    A new session is a new process group whose id is the program's pid: whatever it starts
    (gunicorn's workers, an entrypoint's gunicorn) stays in that group, so the group can be
    checked and, when it must be, killed as a whole.
    """
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, **popen_options
        )
    STARTED_GROUPS.append(proc.pid)
    return proc


def group_members(group: int) -> dict[int, str]:
    """{pid: command line} of the live processes in process group `group` (Linux's /proc)."""
    members = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # Fields after the command's closing parenthesis: state, ppid, pgrp, ...
            state, _ppid, pgrp = stat.read_text().rsplit(")", 1)[1].split()[:3]
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue  # gone while we looked
        if int(pgrp) == group and state != "Z":  # a zombie is dead, only not yet reaped
            members[int(stat.parent.name)] = cmdline.replace(b"\0", b" ").decode().strip()
    return members


def stop_server(proc: subprocess.Popen, timeout: float = 30, whole_group: bool = False) -> None:
    """Stop a server started by `start_server` the way platforms stop one, and make sure it
    is gone, children included.

    SIGTERM goes to the process we started, as `docker stop` and Kubernetes send it; it hands
    the stop on to its children (gunicorn's master to its workers). `whole_group` sends it to
    every process of the group at once, as systemd does: for a program that hands nothing on
    (a shell in front of `make`). Anything still alive after `timeout` is killed
    and the test fails: a server that does not stop on SIGTERM is a bug worth seeing.
    """
    with contextlib.suppress(ProcessLookupError):
        if whole_group:
            os.killpg(proc.pid, signal.SIGTERM)
        else:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=timeout)
    # The workers leave after their master: give them what is left of the time.
    while (left := group_members(proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    if left or proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        pytest.fail(f"still running {timeout}s after SIGTERM, killed: {left}", pytrace=False)


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
        # No load balancer to wait for: the tests that drain set DRAIN_SECONDS themselves.
        **{"WEB_CONCURRENCY": str(workers), "DRAIN_SECONDS": "0", **(env or {})},
    )
    environment = {name: value for name, value in environment.items() if value is not None}
    log_path = workdir / "gunicorn.log"
    proc = start_server(gunicorn_command(), log_path, cwd=ROOT, env=environment)
    server = GunicornServer(proc, f"http://127.0.0.1:{port}", log_path, workers)
    try:
        server.wait_ready()
        yield server
    finally:
        # Also when the test stopped it itself: then only the check that nothing is left.
        stop_server(proc)
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
    that ahead); later starts take seconds. `mlflow server` hands SIGTERM on to the web server
    it starts, which stop_server then checks.
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
    proc = start_server(command, log_path, cwd=workdir, env=env)
    try:
        if problem := wait_until_up(f"{url}/health", proc, timeout):
            log = log_path.read_text(errors="replace")[-3000:]
            raise AssertionError(f"mlflow server on {url} {problem}:\n{log}")
        yield url
    finally:
        stop_server(proc)


def loaded_from_elsewhere(page, origin: str) -> list[str]:
    """Every resource the browser page has loaded so far that did not come from `origin` (a CDN,
    say); raises if the page loaded nothing at all (the check would then prove nothing)."""
    loaded = page.execute_script(
        "return performance.getEntriesByType('resource').map(entry => entry.name)"
    )
    assert loaded, "the page has loaded no resource"
    return [url for url in loaded if not url.startswith(f"{origin}/")]


def run_locust(url: str, user_class: str, users: int, seconds: int, *options: str) -> str:
    """One headless locust run of scripts/locustfile.py's `user_class` against `url`, as
    `make load` runs it (without the CSV files); its output. It must exit 0."""
    done = subprocess.run(
        [
            *(sys.executable, "-m", "locust", "-f", str(ROOT / "scripts" / "locustfile.py")),
            *("--headless", "--only-summary", "--host", url),
            *("--users", str(users), "--spawn-rate", str(users), "--run-time", f"{seconds}s"),
            *options,
            user_class,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr

"""scripts/kind-up.sh, kind-down.sh and k8s-smoke.sh, exercised without a cluster.

No Kubernetes can run on the CI machine, so the scripts meet stand-ins exactly where a cluster
would be: a fake `kubectl` whose port-forward points at a REAL gunicorn serving the app and a
REAL Prometheus scraping it. k8s-smoke.sh then runs unchanged — its requests, its prediction
check and its Prometheus API queries are the ones it makes against kind in GitHub Actions.
"""

import os
import shutil
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers import (
    ROOT,
    fake_bin,
    free_port,
    require_tool,
    run_gunicorn,
)
from tests.integration.test_monitoring_stack import run_prometheus

SCRIPTS = ROOT / "scripts"
APP_NAMESPACE = "lifecycle-lab-dev"

# Answers the four kubectl calls k8s-smoke.sh makes. FAKE_PORTS maps a Service name to the
# local port of the real server behind it; FAKE_READY is "<wanted> <ready>" replicas.
FAKE_KUBECTL = """\
#!{python}
import os, sys, time
args = sys.argv[1:]
if args[:2] == ["config", "current-context"]:
    print("fake-context")
elif "rollout" in args:
    print('deployment "lifecycle-lab" successfully rolled out')
elif "get" in args:
    print(os.environ["FAKE_READY"])
elif "port-forward" in args:
    service = next(a for a in args if a.startswith("service/")).split("/", 1)[1]
    ports = dict(item.split("=") for item in os.environ["FAKE_PORTS"].split(","))
    print(f"Forwarding from 127.0.0.1:{{ports[service]}} -> {{args[-1].lstrip(':')}}", flush=True)
    time.sleep(300)  # like kubectl: runs until the script stops it
else:
    sys.exit(f"fake kubectl: unexpected call {{args}}")
"""


def run_script(name: str, path: str, env: dict | None = None, timeout: float = 120):
    return subprocess.run(
        [require_tool("bash"), str(SCRIPTS / name)],
        cwd=ROOT,
        env={"HOME": os.environ.get("HOME", "/tmp"), "PATH": path, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def minimal_path(tmp_path: Path, *tools: str, **fakes: str) -> str:
    """PATH = fakes + symlinks to the given real tools, and nothing else."""
    bin_dir = fake_bin(tmp_path, **fakes)
    for tool in tools:
        (bin_dir / tool).symlink_to(shutil.which(tool))
    return str(bin_dir)


# kind-up: fail fast, naming what is missing


def test_kind_up_names_a_missing_docker(tmp_path):
    path = minimal_path(tmp_path, "dirname", kind="#!/bin/sh\n", kubectl="#!/bin/sh\n")
    result = run_script("kind-up.sh", path)
    assert result.returncode != 0
    assert "'docker' is not installed" in result.stderr
    assert "docs.docker.com" in result.stderr


def test_kind_up_names_a_missing_kind(tmp_path):
    path = minimal_path(tmp_path, "dirname", docker="#!/bin/sh\n", kubectl="#!/bin/sh\n")
    result = run_script("kind-up.sh", path)
    assert result.returncode != 0
    assert "'kind' is not installed" in result.stderr


def test_kind_up_says_when_the_docker_engine_is_down(tmp_path):
    path = minimal_path(
        tmp_path,
        "dirname",
        docker="#!/bin/sh\nexit 1\n",  # `docker info` fails: no engine
        kind="#!/bin/sh\necho unexpected kind call >&2; exit 99\n",
        kubectl="#!/bin/sh\necho unexpected kubectl call >&2; exit 99\n",
        curl="#!/bin/sh\necho unexpected curl call >&2; exit 99\n",
    )
    result = run_script("kind-up.sh", path)
    assert result.returncode == 1
    assert "engine does not answer" in result.stderr
    assert "unexpected" not in result.stderr, "stopped before touching kind or kubectl"


# kind-down: stops only its own port-forwards


@contextmanager
def sleeper(title: str):
    """A `sleep 60` whose command line reads `title` (as `ps -o args=` shows it)."""
    proc = subprocess.Popen(["bash", "-c", f'exec -a "{title}" sleep 60'])
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def test_kind_down_stops_recorded_port_forwards_but_nothing_else(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    path = minimal_path(tmp_path, "dirname", "cat", "ps", "grep", "basename", "rm")
    with (
        sleeper("kubectl port-forward service/grafana 3000:3000") as forward,
        sleeper("sleep 60") as stranger,
    ):
        (state / "grafana.pid").write_text(f"{forward.pid}\n")
        (state / "stranger.pid").write_text(f"{stranger.pid}\n")
        result = run_script("kind-down.sh", path, env={"KIND_STATE_DIR": str(state)})
        assert result.returncode == 0, result.stderr
        assert forward.wait(timeout=10) == -signal.SIGTERM
        assert stranger.poll() is None, "a pid that is not a port-forward must survive"
    assert not list(state.glob("*.pid")), "stale pid files are removed"
    assert "stopped grafana port-forward" in result.stdout
    assert "kind is not installed" in result.stdout


# k8s-smoke: a real app and a real Prometheus behind a fake kubectl


@contextmanager
def prometheus_scraping(app_port: int, namespace: str):
    """Prometheus scraping the app every second, labelled as kubernetes_sd would label it."""
    target = {
        "targets": [f"127.0.0.1:{app_port}"],
        "labels": {"namespace": namespace, "pod": "lifecycle-lab-0"},
    }
    config = {
        "global": {"scrape_interval": "1s"},
        "scrape_configs": [{"job_name": "lifecycle-lab", "static_configs": [target]}],
    }
    port = free_port()
    with run_prometheus(config, port):
        yield port


@pytest.fixture(scope="module")
def app_server():
    with run_gunicorn(workers=2) as server:
        yield server


def smoke(tmp_path, app_server, prometheus_port, wait_seconds: int, ready: str = "1 1"):
    kubectl = FAKE_KUBECTL.format(python=sys.executable)
    bin_dir = fake_bin(tmp_path, kubectl=kubectl)
    app_port = app_server.url.rsplit(":", 1)[1]
    env = {
        "FAKE_PORTS": f"lifecycle-lab={app_port},prometheus={prometheus_port}",
        "FAKE_READY": ready,
        "WAIT_SECONDS": str(wait_seconds),
    }
    path = os.pathsep.join([str(bin_dir), os.environ["PATH"]])
    require_tool("curl")
    return run_script("k8s-smoke.sh", path, env=env, timeout=wait_seconds + 60)


@pytest.mark.integration
def test_k8s_smoke_passes_against_a_serving_and_scraped_app(tmp_path, app_server):
    with prometheus_scraping(int(app_server.url.rsplit(":", 1)[1]), APP_NAMESPACE) as port:
        result = smoke(tmp_path, app_server, port, wait_seconds=60)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    print(output)  # shown with -s: what a student sees from `make k8s-smoke`
    assert "ok: 1/1 replicas ready" in output
    assert "ok: GET /readyz" in output
    assert '"model_version"' in output
    assert "1 targets up, model_predictions_total = " in output
    assert output.rstrip().endswith("PASSED")


@pytest.mark.integration
def test_k8s_smoke_fails_when_prometheus_does_not_scrape_the_namespace(tmp_path, app_server):
    app_port = int(app_server.url.rsplit(":", 1)[1])
    with prometheus_scraping(app_port, "some-other-namespace") as port:
        result = smoke(tmp_path, app_server, port, wait_seconds=3)
    assert result.returncode == 1
    assert "FAILED: Prometheus: 0 of 1 pods up as job lifecycle-lab" in result.stderr


@pytest.mark.integration
def test_k8s_smoke_fails_when_a_replica_is_not_ready(tmp_path, app_server):
    result = smoke(tmp_path, app_server, prometheus_port=1, wait_seconds=3, ready="2 1")
    assert result.returncode == 1
    assert "FAILED: 1 of 2 replicas ready" in result.stderr

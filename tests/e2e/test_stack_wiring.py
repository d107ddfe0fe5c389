"""The compose stack's wiring, on a real container network.

Prometheus and Alertmanager run with exactly the mounts and network names docker/compose.yaml
gives them: from the compose file's pinned images where they can be pulled (GitHub Actions),
otherwise (the offline CI machine) as Debian's own binaries, mounted read-only from the host
into a container of our image, which is Debian bookworm too.

What it proves: Prometheus reaches the app as `app:8000` and Alertmanager as
`alertmanager:9093` by service name, loads the monitoring part's rule files through the
compose mounts, and scrapes live metrics; compose's locust service, built from its own
Dockerfile, sends its traffic to `app`. (Grafana cannot run here; tests/infra covers its
provisioning paths.)
"""

import json
import re
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
import yaml

from tests.e2e import engine as eng
from tests.helpers import ROOT, free_port, require_tool

COMPOSE = ROOT / "docker" / "compose.yaml"


def compose_service(name: str) -> dict:
    return yaml.safe_load(COMPOSE.read_text())["services"][name]


def with_defaults(arg: str) -> str:
    """Compose's `${VAR:-default}` interpolation, with every variable unset."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", arg)


def compose_mounts(service: str) -> list[str]:
    """The service's volumes from compose.yaml, host paths made absolute."""
    volumes = compose_service(service).get("volumes", [])
    result = []
    for volume in volumes:
        host, rest = volume.split(":", 1)
        result += ["-v", f"{(COMPOSE.parent / host).resolve()}:{rest}"]
    return result


def hardened_run(engine, network, alias, *args):
    return eng.run(
        engine,
        "run",
        "--pull=never",
        "-d",
        "--read-only",
        "--tmpfs",
        "/tmp:rw,size=128m",
        "--cap-drop",
        "ALL",
        "--network",
        network,
        "--network-alias",
        alias,
        *args,
    ).stdout.strip()


def program(engine: str, service: str, debian_binary: str) -> list[str]:
    """Run arguments for the image and entrypoint of a compose `service`.

    The compose file's image when it is present or can be pulled; else Debian's binary
    `debian_binary` from the host, mounted into our image (a Debian bookworm too).
    """
    image = compose_service(service)["image"]
    present = eng.run(engine, "image", "inspect", image, check=False).returncode == 0
    if present or eng.run(engine, "pull", "-q", image, check=False, timeout=300).returncode == 0:
        return [image]
    binary = require_tool(debian_binary)
    inside = f"/usr/local/bin/{service}"
    our_image = eng.env_or_fail("E2E_IMAGE")
    return ["-v", f"{binary}:{inside}:ro", "--entrypoint", inside, our_image]


@pytest.fixture
def stack(engine, image):
    network = f"lifecycle-lab-e2e-{uuid.uuid4().hex[:8]}"
    eng.run(engine, "network", "create", network)
    started = []
    try:
        started.append(hardened_run(engine, network, "app", image))
        started.append(
            hardened_run(
                engine,
                network,
                "alertmanager",
                *compose_mounts("alertmanager"),
                "--workdir",
                "/tmp",
                *program(engine, "alertmanager", "prometheus-alertmanager"),
                "--config.file=/etc/alertmanager/alertmanager.yml",
                "--storage.path=/tmp/alertmanager",
                "--cluster.listen-address=",
            )
        )
        port = free_port()
        started.append(
            hardened_run(
                engine,
                network,
                "prometheus",
                *compose_mounts("prometheus"),
                "-p",
                f"127.0.0.1:{port}:9090",
                *program(engine, "prometheus", "prometheus"),
                "--config.file=/etc/prometheus/prometheus.yml",
                "--storage.tsdb.path=/tmp/prometheus",
            )
        )
        yield {"url": f"http://127.0.0.1:{port}", "network": network}
    finally:
        for container in started:
            eng.remove(engine, container)
        eng.run(engine, "network", "rm", network, check=False)


def api(url: str, path: str) -> dict:
    status, body = eng.http_get(url + path)
    assert status == 200, body
    return json.loads(body)["data"]


def wait_for(check, what: str, timeout: float = 90):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except OSError as error:  # not listening yet
            last = error
        time.sleep(1)
    pytest.fail(f"{what} not reached in {timeout}s (last: {last})")


def test_prometheus_scrapes_the_app_and_finds_alertmanager_by_service_name(engine, stack):
    url = stack["url"]

    def app_target_up():
        targets = api(url, "/api/v1/targets")["activeTargets"]
        return [t for t in targets if t["labels"]["job"] == "lifecycle-lab" and t["health"] == "up"]

    up = wait_for(app_target_up, "the lifecycle-lab target up")
    assert up[0]["scrapeUrl"] == "http://app:8000/metrics"

    def alertmanager_found():
        return api(url, "/api/v1/alertmanagers")["activeAlertmanagers"]

    found = wait_for(alertmanager_found, "an active Alertmanager")
    assert found[0]["url"].startswith("http://alertmanager:9093/")

    rule_files = sorted((ROOT / "monitoring" / "prometheus" / "rules").glob("*.yml"))
    groups = api(url, "/api/v1/rules")["groups"]
    loaded = {Path(group["file"]).name for group in groups}
    assert loaded == {path.name for path in rule_files}

    result = api(url, '/api/v1/query?query=app_build_info{job="lifecycle-lab"}')["result"]
    assert result and result[0]["metric"]["git_sha"] == eng.env_or_fail("E2E_IMAGE_REVISION")


@pytest.fixture(scope="module")
def locust_image(engine) -> str:
    """docker/locust.Dockerfile, built as compose builds it, on the base `make image` used."""
    service = compose_service("locust")
    tag = service["image"].rsplit(":", 1)[0] + ":e2e"
    podman_format = ["--format", "docker"] if eng.is_podman(engine) else []
    eng.run(
        engine,
        "build",
        *podman_format,
        "-f",
        str(COMPOSE.parent / service["build"]["context"] / service["build"]["dockerfile"]),
        "--build-arg",
        f"PYTHON_IMAGE={eng.env_or_fail('E2E_BASE_IMAGE')}",
        "-t",
        tag,
        str((COMPOSE.parent / service["build"]["context"]).resolve()),
        timeout=900,
    )
    return tag


def test_locust_runs_its_compose_command_against_app_by_service_name(engine, locust_image, stack):
    """compose's locust service - its image, user, mounts and command (defaults filled in,
    5 s long) - sends predictions that Prometheus counts at `app`."""
    locust = compose_service("locust")
    command = [with_defaults(arg) for arg in locust["command"]]
    command = ["--run-time=5s" if arg.startswith("--run-time=") else arg for arg in command]
    result = eng.run(
        engine,
        "run",
        "--pull=never",
        "--rm",
        "--read-only",
        "--tmpfs",
        "/tmp:rw,size=64m",
        "--cap-drop",
        "ALL",
        "--network",
        stack["network"],
        "--user",
        locust["user"],
        "--workdir",
        locust["working_dir"],
        *compose_mounts("locust"),
        locust_image,
        *command,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "NormalUser" in result.stderr  # locust's log: the default mix ran

    def predictions_counted():
        query = 'sum(http_requests_total{job="lifecycle-lab",route="/api/v1/predict"})'
        result = api(stack["url"], "/api/v1/query?query=" + urllib.parse.quote(query))["result"]
        return result and float(result[0]["value"][1]) > 0

    wait_for(predictions_counted, "locust's predictions in Prometheus")

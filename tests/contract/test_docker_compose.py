"""docker/compose.yaml held against the app and the monitoring files (Python only).

No Docker engine (or registry) is reachable in CI, so the stack cannot be started there; what
can be checked without one is checked here: every value that two artifacts must agree on
(ports, service names, paths, grace periods, image names). The compose-spec schema and real
`promtool`/`amtool` runs on what the containers would mount are in
tests/infra/test_compose_tools.py; the wiring, run for real, in tests/e2e.
"""

import json
import re
import subprocess
from pathlib import Path

import yaml

from app.config import Settings
from tests.helpers import ROOT

DOCKER = ROOT / "docker"
COMPOSE = DOCKER / "compose.yaml"
MONITORING = ROOT / "monitoring"


def mounts(service: dict) -> dict[str, Path]:
    """container path -> host path (resolved against docker/) of the bind mounts."""
    result = {}
    for volume in service.get("volumes", []):
        host, container = volume.split(":")[:2]
        result[container] = (DOCKER / host).resolve()
    return result


def container_port(service: dict) -> int:
    return int(service["ports"][0].rsplit(":", 1)[1])


def seconds(duration: str) -> float:
    return sum(
        float(value) * {"h": 3600, "m": 60, "s": 1}[unit]
        for value, unit in re.findall(r"(\d+(?:\.\d+)?)([hms])", duration)
    )


def test_the_stack_is_complete(services):
    assert {"app", "prometheus", "alertmanager", "grafana", "locust"} <= set(services)


def test_images_are_pinned_to_exact_versions(services):
    for name, service in services.items():
        if "build" in service:
            continue
        image = service["image"]
        tag = image.rsplit(":", 1)[1] if ":" in image.split("/")[-1] else ""
        assert re.search(r"\d+\.\d+", tag) or "@sha256:" in image, f"{name}: pin {image}"
        assert "latest" not in tag


def test_app_image_name_is_the_makefile_one(services):
    printed = subprocess.run(
        ["make", "-s", "print-image"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert printed.returncode == 0, printed.stderr
    assert services["app"]["image"].rsplit(":", 1)[0] == printed.stdout.strip()
    assert services["app"]["build"]["dockerfile"] == "docker/Dockerfile"
    assert (DOCKER / services["app"]["build"]["context"]).resolve() == ROOT


def default_base(dockerfile: Path) -> str:
    text = dockerfile.read_text()
    return re.search(r"^ARG PYTHON_IMAGE=(\S+)", text, flags=re.MULTILINE).group(1)


def test_locust_has_an_image_of_its_own_on_the_apps_base(services):
    """The serving image stays lean: locust is built from docker/locust.Dockerfile."""
    build = services["locust"]["build"]
    assert (DOCKER / build["context"]).resolve() == ROOT
    assert build["dockerfile"] != services["app"]["build"]["dockerfile"]
    assert default_base(ROOT / build["dockerfile"]) == default_base(DOCKER / "Dockerfile")
    assert "--only-group load" in (ROOT / build["dockerfile"]).read_text()


def test_every_mounted_path_exists(services):
    for name, service in services.items():
        for container, host in mounts(service).items():
            assert host.exists(), f"{name}: {host} (mounted at {container}) does not exist"
            assert ROOT in host.parents, f"{name}: mounts must come from this repository"


def test_monitoring_is_mounted_not_copied():
    monitoring_files = {path.name: path for path in MONITORING.rglob("*") if path.is_file()}
    for path in DOCKER.rglob("*"):
        if not path.is_file():
            continue
        twin = monitoring_files.get(path.name)
        assert twin is None or twin.read_bytes() != path.read_bytes(), f"{path} copies {twin}"
        assert path.suffix != ".json", f"{path}: dashboards live in monitoring/grafana"
        if path.suffix in {".yml", ".yaml"}:
            assert "groups:" not in path.read_text(), f"{path}: rules live in monitoring/"


def test_ports_match_the_app_and_the_app_runs_hardened(services):
    app = services["app"]
    assert container_port(app) == Settings().port
    for published in app["ports"]:
        assert published.startswith("127.0.0.1:"), "publish on loopback only"
    assert app["read_only"] is True and "/tmp" in app["tmpfs"]
    assert app["cap_drop"] == ["ALL"]


def test_stop_grace_covers_drain_and_graceful_timeout(services):
    defaults = Settings()
    needed = defaults.drain_seconds + defaults.graceful_timeout
    assert seconds(services["app"]["stop_grace_period"]) > needed


def test_health_checks_gate_the_start_order(services):
    for name, service in services.items():
        if "ports" in service:
            assert "healthcheck" in service, f"{name} serves but has no health check"
        for dependency, condition in service.get("depends_on", {}).items():
            assert condition["condition"] == "service_healthy", f"{name} -> {dependency}"
            assert "healthcheck" in services[dependency], f"{dependency} has no health check"


def test_app_health_check_probes_the_readiness_route(services):
    from app import create_app

    test = " ".join(services["app"]["healthcheck"]["test"])
    match = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", test)
    assert int(match.group(1)) == Settings().port
    assert match.group(2) == "/readyz"
    assert "/readyz" in {rule.rule for rule in create_app().url_map.iter_rules()}


def test_locust_targets_the_app_service_with_the_repositorys_locustfile(services):
    locust = services["locust"]
    options = dict(arg.split("=", 1) for arg in locust["command"] if "=" in arg)
    assert options["--host"] == f"http://app:{container_port(services['app'])}"
    assert "--headless" in locust["command"]
    script = options["--locustfile"]
    mounted = mounts(locust)
    workdir = locust["working_dir"]
    assert mounted[f"{workdir}/{script}"] == ROOT / script
    # What the locustfile imports and reads comes from the repository too.
    assert mounted[f"{workdir}/ml"] == ROOT / "ml" and mounted[f"{workdir}/data"] == ROOT / "data"


def test_grafana_is_provisioned_from_monitoring_and_opens_on_the_service_dashboard(services):
    grafana = services["grafana"]
    mounted = mounts(grafana)
    assert mounted["/etc/grafana/provisioning"] == MONITORING / "grafana" / "provisioning"
    home = Path(grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"])
    host_home = mounted[str(home.parent)] / home.name
    assert json.loads(host_home.read_text())["uid"] == "lifecycle-lab-service"
    # ...and that mount is where the provisioning provider looks for dashboards.
    provider = yaml.safe_load(
        (MONITORING / "grafana/provisioning/dashboards/lifecycle-lab.yml").read_text()
    )
    assert provider["providers"][0]["options"]["path"] == str(home.parent)
    datasource = yaml.safe_load(
        (MONITORING / "grafana/provisioning/datasources/prometheus.yml").read_text()
    )
    url = datasource["datasources"][0]["url"]
    assert url == f"http://prometheus:{container_port(services['prometheus'])}"


def test_compose_scrape_config_differs_from_the_local_one_only_in_targets(services):
    local = yaml.safe_load((MONITORING / "prometheus" / "prometheus.yml").read_text())
    ours = yaml.safe_load((DOCKER / "prometheus.compose.yml").read_text())

    def without_targets(config: dict) -> str:
        text = json.dumps(config, sort_keys=True)
        return re.sub(r'"targets": \[[^\]]*\]', '"targets": []', text)

    # The podman environments (file_sd, lab 11) live on the host's loopback, out of reach of
    # the compose network: the compose Prometheus does not look for them.
    for job in local["scrape_configs"]:
        job.pop("file_sd_configs", None)
    assert without_targets(ours) == without_targets(local)
    jobs = {job["job_name"]: job["static_configs"][0]["targets"] for job in ours["scrape_configs"]}
    assert jobs["lifecycle-lab"] == [f"app:{container_port(services['app'])}"]
    alertmanagers = ours["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert alertmanagers == [f"alertmanager:{container_port(services['alertmanager'])}"]


def test_the_alertmanager_webhook_secret_file_is_mounted(services):
    alertmanager = services["alertmanager"]
    config = mounts(alertmanager)["/etc/alertmanager/alertmanager.yml"]
    # alertmanager.yml names its webhook URL file relative to the working dir, /alertmanager.
    url_files = set(re.findall(r"api_url_file:\s*(\S+)", config.read_text()))
    targets = {secret["target"] for secret in alertmanager.get("secrets", [])}
    assert url_files, "alertmanager.yml reads no api_url_file?"
    assert {f"/alertmanager/{path}" for path in url_files} <= targets

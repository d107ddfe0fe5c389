"""The rendered overlays held against the app they deploy — where two artifacts must agree.

The app's side is never copied into this test: routes come from `app.create_app()`, the
bound port and timeouts from `app/gunicorn.conf.py` loaded with the overlay's environment,
the variable names from `app.config.VARIABLES`, the image name from `make -s print-image`,
and the numeric user from docker/Dockerfile.
"""

import os
import re
import subprocess

import pytest
import yaml

from app.config import VARIABLES
from tests.helpers import ROOT, probe_app, require_tool

OVERLAYS = ("dev", "staging", "production")


def render(overlay: str) -> list[dict]:
    kubectl = require_tool("kubectl")
    result = subprocess.run(
        [kubectl, "kustomize", str(ROOT / "k8s" / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


class Rendered:
    """One overlay's objects, with the questions the tests ask of them."""

    def __init__(self, overlay: str):
        self.overlay = overlay
        self.docs = render(overlay)

    def one(self, kind: str) -> dict:
        found = [doc for doc in self.docs if doc["kind"] == kind]
        assert len(found) == 1, f"{self.overlay}: expected one {kind}, found {len(found)}"
        return found[0]

    @property
    def deployment(self) -> dict:
        return self.one("Deployment")

    @property
    def pod(self) -> dict:
        return self.deployment["spec"]["template"]["spec"]

    @property
    def container(self) -> dict:
        containers = self.pod["containers"]
        assert len(containers) == 1, "the app pod runs one container"
        return containers[0]

    def environment(self) -> dict[str, str]:
        """What the container's environment will hold: envFrom ConfigMaps, then env."""
        config_maps = {d["metadata"]["name"]: d for d in self.docs if d["kind"] == "ConfigMap"}
        env: dict[str, str] = {}
        for source in self.container.get("envFrom", []):
            name = source["configMapRef"]["name"]
            assert name in config_maps, f"envFrom names a ConfigMap not in the overlay: {name}"
            env.update(config_maps[name].get("data", {}))
        for item in self.container.get("env", []):
            assert "value" in item, f"{item['name']}: only literal values are expected"
            env[item["name"]] = item["value"]
        return env

    def probe_paths(self) -> dict[str, str]:
        kinds = ("startupProbe", "readinessProbe", "livenessProbe")
        return {kind: self.container[kind]["httpGet"]["path"] for kind in kinds}

    def prestop_seconds(self) -> int:
        handler = self.container["lifecycle"]["preStop"]
        if "sleep" in handler:  # the built-in sleep action (Kubernetes >= 1.30)
            return int(handler["sleep"]["seconds"])
        command = handler["exec"]["command"]
        assert command[0] in {"sleep", "/bin/sleep"} and len(command) == 2, command
        return int(command[1])


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request) -> Rendered:
    return Rendered(request.param)


@pytest.fixture(scope="module")
def app_view(overlay, tmp_path_factory) -> dict:
    """How the app sees this overlay's environment (see tests.helpers.probe_app)."""
    env = overlay.environment()
    # The pod's /tmp is an emptyDir; here the metrics directory goes to a private temp dir.
    env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path_factory.mktemp("metrics"))
    env["PATH"] = os.environ.get("PATH", "")
    return probe_app(env, overlay.probe_paths().values())


def test_every_variable_set_is_one_the_app_reads(overlay):
    unknown = sorted(set(overlay.environment()) - set(VARIABLES))
    assert not unknown, f"{overlay.overlay} sets variables app/config.py never reads: {unknown}"


def test_probe_paths_are_app_routes_that_answer(overlay, app_view):
    for probe, path in overlay.probe_paths().items():
        assert path in app_view["routes"], f"{probe} {path} is not a route of the app"
        assert "GET" in app_view["routes"][path], f"{probe} {path} does not answer GET"
    probes = overlay.probe_paths()
    # Liveness and startup must not depend on the model or a drain: a 503 there restarts pods.
    assert app_view["status"][probes["livenessProbe"]] == 200
    assert app_view["status"][probes["startupProbe"]] == 200
    assert app_view["status"][probes["readinessProbe"]] in {200, 503}


def test_container_port_is_the_port_gunicorn_binds(overlay, app_view):
    bound_port = int(app_view["bind"].rsplit(":", 1)[1])
    ports = {p["name"]: p["containerPort"] for p in overlay.container["ports"]}
    assert ports == {"http": bound_port}
    annotations = overlay.deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert int(annotations["prometheus.io/port"]) == bound_port
    assert annotations["prometheus.io/path"] in app_view["routes"]
    service_ports = overlay.one("Service")["spec"]["ports"]
    assert [p["targetPort"] for p in service_ports] == ["http"]


def test_grace_period_covers_prestop_drain_and_graceful_stop(overlay, app_view):
    needed = overlay.prestop_seconds() + app_view["drain_seconds"] + app_view["graceful_timeout"]
    grace = overlay.pod["terminationGracePeriodSeconds"]
    assert grace > needed, f"grace {grace}s <= preStop + drain + graceful = {needed}s"


def test_app_writes_only_to_mounted_volumes(overlay):
    assert overlay.container["securityContext"]["readOnlyRootFilesystem"] is True
    mounts = [m["mountPath"] for m in overlay.container["volumeMounts"]]
    metrics_dir = overlay.environment()["PROMETHEUS_MULTIPROC_DIR"]
    assert any(metrics_dir.startswith(m.rstrip("/") + "/") for m in mounts), (metrics_dir, mounts)
    assert "/tmp" in mounts, "gunicorn's worker heartbeat files go to /tmp"


def test_restricted_pod_security_with_the_images_user(overlay):
    pod_sc = overlay.pod["securityContext"]
    container_sc = overlay.container["securityContext"]
    assert pod_sc["runAsNonRoot"] is True
    assert pod_sc["seccompProfile"]["type"] == "RuntimeDefault"
    assert container_sc["allowPrivilegeEscalation"] is False
    assert container_sc["capabilities"]["drop"] == ["ALL"]
    assert "add" not in container_sc["capabilities"]
    dockerfile = ROOT / "docker" / "Dockerfile"
    assert dockerfile.exists(), "docker/Dockerfile (the containers work) is not there yet"
    users = re.findall(r"^USER\s+(\S+)", dockerfile.read_text(), flags=re.MULTILINE)
    assert users, "docker/Dockerfile sets no USER"
    image_user = users[-1].split(":")[0]
    assert image_user.isdigit(), f"USER {image_user}: numeric, so runAsNonRoot can verify it"
    assert pod_sc["runAsUser"] == int(image_user)


def test_no_api_token_in_the_pod(overlay):
    assert overlay.one("ServiceAccount")["automountServiceAccountToken"] is False
    assert overlay.pod["automountServiceAccountToken"] is False
    assert overlay.pod["serviceAccountName"] == overlay.one("ServiceAccount")["metadata"]["name"]


def test_rolling_update_never_drops_below_the_wanted_count(overlay):
    strategy = overlay.deployment["spec"]["strategy"]
    assert strategy["type"] == "RollingUpdate"
    assert strategy["rollingUpdate"]["maxUnavailable"] == 0
    assert strategy["rollingUpdate"]["maxSurge"] >= 1


def test_selectors_match_the_pods(overlay):
    """Service, PDB, NetworkPolicy and HPA all point at the Deployment's pods."""
    pod_labels = overlay.deployment["spec"]["template"]["metadata"]["labels"]

    def selects(selector: dict) -> bool:
        return bool(selector) and all(pod_labels.get(k) == v for k, v in selector.items())

    assert selects(overlay.one("Service")["spec"]["selector"])
    assert selects(overlay.one("PodDisruptionBudget")["spec"]["selector"]["matchLabels"])
    assert selects(overlay.one("NetworkPolicy")["spec"]["podSelector"]["matchLabels"])
    target = overlay.one("HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]
    deployment_name = overlay.deployment["metadata"]["name"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment_name)


def test_network_policy_admits_only_ingress_and_monitoring_to_the_app_port(overlay):
    policy = overlay.one("NetworkPolicy")["spec"]
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
    assert policy.get("egress", []) == [], "the app calls nothing: no egress"
    (rule,) = policy["ingress"]
    assert [p["port"] for p in rule["ports"]] == ["http"]
    sources = {
        peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        for peer in rule["from"]
    }
    assert sources == {"ingress-nginx", "monitoring"}


def test_hpa_starts_from_the_deployments_replicas(overlay):
    hpa = overlay.one("HorizontalPodAutoscaler")["spec"]
    replicas = overlay.deployment["spec"]["replicas"]
    assert hpa["minReplicas"] == replicas
    assert hpa["maxReplicas"] > replicas


def test_resources_are_bounded(overlay):
    resources = overlay.container["resources"]
    for kind in ("cpu", "memory"):
        assert kind in resources["requests"] and kind in resources["limits"], kind


def test_chaos_is_on_only_in_dev(overlay, app_view):
    expected_env = {"dev": "development", "staging": "staging", "production": "production"}
    assert app_view["app_env"] == expected_env[overlay.overlay]
    assert app_view["chaos_enabled"] is (overlay.overlay == "dev")
    assert ("/chaos" in app_view["routes"]) is (overlay.overlay == "dev")


def test_production_survives_losing_a_pod_and_still_drains():
    production = Rendered("production")
    replicas = production.deployment["spec"]["replicas"]
    assert replicas >= 3
    pdb = production.one("PodDisruptionBudget")["spec"]
    if "maxUnavailable" in pdb:
        assert int(pdb["maxUnavailable"]) >= 1, "maxUnavailable 0 blocks every node drain"
    else:
        assert int(pdb["minAvailable"]) < replicas, "minAvailable = replicas blocks a drain"


def test_image_is_the_one_make_image_builds(overlay):
    result = subprocess.run(
        ["make", "-s", "print-image"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, (
        "`make -s print-image` failed — the containers work (mk/container*.mk) must provide it "
        f"so the manifests can be held to the image `make image` builds:\n{result.stderr}"
    )
    name, _, tag = overlay.container["image"].rpartition(":")
    assert name == without_tag(result.stdout.strip())
    assert tag and tag != "latest", "an overlay pins a tag through kustomize `images`"


def without_tag(reference: str) -> str:
    """localhost/lifecycle-lab:abc -> localhost/lifecycle-lab (a registry port is not a tag)."""
    repository, _, last = reference.rpartition("/")
    return f"{repository}/{last.split(':')[0]}" if repository else last.split(":")[0]

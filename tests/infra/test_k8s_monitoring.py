"""The in-cluster monitoring stack (k8s/monitoring) held against the files in monitoring/.

The configuration is generated from monitoring/ by monitoring/kustomization.yaml, so these
tests check the wiring that a copy would otherwise hide: every rule file and dashboard is
shipped byte for byte, each file lands where the configuration that names it looks for it,
and the names one component uses for another are the Services that exist.
"""

import re
import subprocess
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pytest
import yaml

from tests.helpers import ROOT, require_tool

MONITORING = ROOT / "monitoring"
APP_NAMESPACE = "lifecycle-lab-dev"  # what the kind demo deploys (k8s/overlays/dev)


def render(directory: Path) -> list[dict]:
    kubectl = require_tool("kubectl")
    result = subprocess.run(
        [kubectl, "kustomize", str(directory)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module")
def stack() -> list[dict]:
    return render(ROOT / "k8s" / "monitoring")


@pytest.fixture(scope="module")
def app() -> list[dict]:
    return render(ROOT / "k8s" / "overlays" / "dev")


def find(docs: list[dict], kind: str, name: str) -> dict:
    for doc in docs:
        if doc["kind"] == kind and doc["metadata"]["name"] == name:
            return doc
    raise AssertionError(f"no {kind} {name} in the rendered stack")


def config_map(docs: list[dict], prefix: str) -> dict:
    """The generated ConfigMap whose name is prefix + kustomize's content hash."""
    found = [
        doc
        for doc in docs
        if doc["kind"] == "ConfigMap" and doc["metadata"]["name"].rsplit("-", 1)[0] == prefix
    ]
    assert len(found) == 1, f"expected one ConfigMap {prefix}-<hash>, found {len(found)}"
    return found[0]


def container(deployment: dict) -> dict:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


def source_name(volume: dict) -> str | None:
    if "configMap" in volume:
        return volume["configMap"]["name"]
    if "secret" in volume:
        return volume["secret"]["secretName"]
    return None


def mount_of(deployment: dict, source: str) -> dict:
    """The volumeMount that carries a given ConfigMap or Secret into the container."""
    volumes = deployment["spec"]["template"]["spec"]["volumes"]
    (volume,) = [v["name"] for v in volumes if source_name(v) == source]
    (mount,) = [m for m in container(deployment)["volumeMounts"] if m["name"] == volume]
    return mount


def arg(deployment: dict, flag: str) -> str:
    for item in container(deployment).get("args", []):
        if item.startswith(f"{flag}="):
            return item.split("=", 1)[1]
    raise AssertionError(f"{deployment['metadata']['name']} has no {flag}")


def service_address(docs: list[dict], name: str) -> str:
    ports = find(docs, "Service", name)["spec"]["ports"]
    return f"{name}:{ports[0]['port']}"


@pytest.mark.parametrize(
    ("prefix", "pattern"),
    [
        ("prometheus-rules", "prometheus/rules/*.yml"),
        ("grafana-dashboards", "grafana/dashboards/*.json"),
        ("grafana-datasources", "grafana/provisioning/datasources/*.yml"),
        ("grafana-dashboard-providers", "grafana/provisioning/dashboards/*.yml"),
        ("alertmanager-config", "alertmanager/alertmanager.yml"),
    ],
)
def test_every_file_is_shipped_unchanged(stack, prefix, pattern):
    """A new rule file or dashboard that is not listed in monitoring/kustomization.yaml fails."""
    files = {path.name: path.read_text() for path in MONITORING.glob(pattern)}
    assert files, f"no monitoring/{pattern}"
    assert config_map(stack, prefix)["data"] == files


def test_prometheus_runs_the_kubernetes_config_and_finds_its_rules(stack):
    prometheus = find(stack, "Deployment", "prometheus")
    shipped = config_map(stack, "prometheus-config")["data"]
    assert shipped == {"prometheus.yml": (MONITORING / "prometheus/prometheus-k8s.yml").read_text()}
    config_path = PurePosixPath(arg(prometheus, "--config.file"))
    mount = mount_of(prometheus, config_map(stack, "prometheus-config")["metadata"]["name"])
    assert PurePosixPath(mount["mountPath"]) == config_path
    assert mount["subPath"] == "prometheus.yml"
    # rule_files are resolved relative to the config file's directory.
    config = yaml.safe_load(shipped["prometheus.yml"])
    rules_mount = mount_of(prometheus, config_map(stack, "prometheus-rules")["metadata"]["name"])
    rules_dir = PurePosixPath(rules_mount["mountPath"])
    for pattern in config["rule_files"]:
        resolved = config_path.parent / pattern
        assert resolved.parent == rules_dir, f"{pattern} resolves outside {rules_dir}"


def test_prometheus_sends_alerts_to_the_alertmanager_service(stack):
    config = yaml.safe_load(config_map(stack, "prometheus-config")["data"]["prometheus.yml"])
    targets = [
        target
        for alertmanager in config["alerting"]["alertmanagers"]
        for static in alertmanager["static_configs"]
        for target in static["targets"]
    ]
    assert targets == [service_address(stack, "alertmanager")]


def test_prometheus_may_list_pods_and_nothing_else(stack):
    role = find(stack, "ClusterRole", "lifecycle-lab-prometheus")
    assert role["rules"] == [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}
    ]
    binding = find(stack, "ClusterRoleBinding", "lifecycle-lab-prometheus")
    prometheus = find(stack, "Deployment", "prometheus")
    (subject,) = binding["subjects"]
    assert subject["name"] == prometheus["spec"]["template"]["spec"]["serviceAccountName"]
    assert subject["namespace"] == prometheus["metadata"]["namespace"]


def test_the_apps_pods_are_scraped_as_the_lifecycle_lab_job(stack, app):
    """The scrape job's keep rules select the app's pod template; its NetworkPolicy lets it."""
    config = yaml.safe_load(config_map(stack, "prometheus-config")["data"]["prometheus.yml"])
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "lifecycle-lab"]
    template = next(d for d in app if d["kind"] == "Deployment")["spec"]["template"]
    labels, annotations = template["metadata"]["labels"], template["metadata"]["annotations"]

    def meta_value(source: str) -> str:
        for prefix, values in (
            ("__meta_kubernetes_pod_label_", labels),
            ("__meta_kubernetes_pod_annotation_", annotations),
        ):
            if source.startswith(prefix):
                wanted = source.removeprefix(prefix)
                matches = [v for k, v in values.items() if sanitize(k) == wanted]
                return matches[0] if matches else ""
        return {"__meta_kubernetes_pod_phase": "Running"}.get(source, "")

    keeps = [rule for rule in job["relabel_configs"] if rule.get("action") == "keep"]
    assert keeps, "the job must select pods, not scrape everything"
    for rule in keeps:
        value = ";".join(meta_value(source) for source in rule["source_labels"])
        assert re.fullmatch(rule["regex"], value), (rule, value)

    policy = next(d for d in app if d["kind"] == "NetworkPolicy")["spec"]
    allowed = {
        peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        for rule in policy["ingress"]
        for peer in rule["from"]
    }
    assert find(stack, "Deployment", "prometheus")["metadata"]["namespace"] in allowed


def sanitize(name: str) -> str:
    """Prometheus' label name for a Kubernetes label or annotation key."""
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name)


def test_grafana_reads_the_provisioned_files_where_they_are_mounted(stack):
    grafana = find(stack, "Deployment", "grafana")
    datasources = config_map(stack, "grafana-datasources")
    mount = mount_of(grafana, datasources["metadata"]["name"])
    assert mount["mountPath"] == "/etc/grafana/provisioning/datasources"
    providers = config_map(stack, "grafana-dashboard-providers")
    mount = mount_of(grafana, providers["metadata"]["name"])
    assert mount["mountPath"] == "/etc/grafana/provisioning/dashboards"
    dashboards = config_map(stack, "grafana-dashboards")
    dashboards_mount = mount_of(grafana, dashboards["metadata"]["name"])
    for text in providers["data"].values():
        for provider in yaml.safe_load(text)["providers"]:
            assert provider["options"]["path"] == dashboards_mount["mountPath"]
    env = {item["name"]: item["value"] for item in container(grafana)["env"]}
    home = PurePosixPath(env["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"])
    assert str(home.parent) == dashboards_mount["mountPath"]
    assert home.name in dashboards["data"]


def test_grafana_datasource_points_at_the_prometheus_service(stack):
    for text in config_map(stack, "grafana-datasources")["data"].values():
        for source in yaml.safe_load(text)["datasources"]:
            if source["type"] == "prometheus":
                assert urlsplit(source["url"]).netloc == service_address(stack, "prometheus")


def test_alertmanager_finds_the_chat_webhook_secret_where_its_config_says(stack):
    alertmanager = find(stack, "Deployment", "alertmanager")
    config_text = config_map(stack, "alertmanager-config")["data"]["alertmanager.yml"]
    assert PurePosixPath(arg(alertmanager, "--config.file")).parent == PurePosixPath(
        mount_of(alertmanager, config_map(stack, "alertmanager-config")["metadata"]["name"])[
            "mountPath"
        ]
    )
    config = yaml.safe_load(config_text)
    files = {
        slack["api_url_file"]
        for receiver in config["receivers"]
        for slack in receiver.get("slack_configs", [])
    }
    workdir = PurePosixPath(container(alertmanager)["workingDir"])
    secret_mount = PurePosixPath(mount_of(alertmanager, "alertmanager-chat-webhook")["mountPath"])
    for relative in files:
        assert (workdir / relative).parent == secret_mount, relative


def test_monitoring_pods_are_hardened(stack):
    for deployment in (d for d in stack if d["kind"] == "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        name = deployment["metadata"]["name"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        sc = container(deployment)["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True, name
        assert sc["allowPrivilegeEscalation"] is False, name
        assert sc["capabilities"]["drop"] == ["ALL"], name
        image = container(deployment)["image"]
        assert ":" in image and not image.endswith(":latest"), f"{name}: pin {image}"


def test_images_are_the_versions_the_compose_stack_runs(stack):
    """One Prometheus, Alertmanager and Grafana version for compose and kind alike."""
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())
    compose_images = {service.get("image") for service in compose["services"].values()}
    for deployment in (d for d in stack if d["kind"] == "Deployment"):
        image = container(deployment)["image"]
        assert image in compose_images, f"{image} is not what docker/compose.yaml runs"

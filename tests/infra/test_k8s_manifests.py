"""The Kubernetes manifests, rendered and run through the real tools of their ecosystem.

Every overlay and the in-cluster monitoring stack must build with `kubectl kustomize`, pass
`kubernetes-validate --strict` for every Kubernetes version from 1.29 to the newest the
validator bundles, and pass checkov with no failure (each skipped check carries its reason as
an annotation in the manifest). The contract between the manifests and the app lives in
test_k8s_contract.py; the monitoring stack against monitoring/ in test_k8s_monitoring.py.
"""

import json
import subprocess
from pathlib import Path

import pytest
import yaml
from kubernetes_validate.utils import all_versions
from packaging.version import Version

from tests.helpers import ROOT, require_tool

OVERLAYS = ("dev", "staging", "production")
# Everything that is applied to a cluster: each overlay, and the monitoring stack for kind.
KUSTOMIZATIONS = {f"overlay-{name}": Path("k8s/overlays", name) for name in OVERLAYS} | {
    "monitoring": Path("k8s/monitoring")
}
OLDEST_SUPPORTED = Version("1.29")
# What the base promises every environment (the list).
REQUIRED_KINDS = {
    "Deployment",
    "Service",
    "ServiceAccount",
    "ConfigMap",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "NetworkPolicy",
}


def supported_versions() -> list[str]:
    """1.29 up to the newest schema kubernetes-validate bundles, as `major.minor`."""
    versions = {Version(v) for v in all_versions()}
    return [f"{v.major}.{v.minor}" for v in sorted(versions) if v >= OLDEST_SUPPORTED]


def render(directory: Path) -> str:
    kubectl = require_tool("kubectl")
    result = subprocess.run(
        [kubectl, "kustomize", str(directory)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, f"kubectl kustomize {directory} failed:\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def rendered_dir(tmp_path_factory) -> Path:
    """One rendered file per kustomization (see KUSTOMIZATIONS), in a fresh directory."""
    out = tmp_path_factory.mktemp("k8s-rendered")
    for name, path in KUSTOMIZATIONS.items():
        (out / f"{name}.yaml").write_text(render(ROOT / path))
    return out


def documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_every_required_kind(rendered_dir, overlay):
    docs = documents(rendered_dir / f"overlay-{overlay}.yaml")
    kinds = {doc["kind"] for doc in docs}
    assert kinds >= REQUIRED_KINDS, f"{overlay} lacks {sorted(REQUIRED_KINDS - kinds)}"
    namespaced = [doc for doc in docs if doc["kind"] != "Namespace"]
    namespaces = {doc["metadata"].get("namespace") for doc in namespaced}
    assert namespaces == {f"lifecycle-lab-{overlay}"}, "every object in the overlay's namespace"


def test_kind_kustomization_is_the_dev_overlay_plus_monitoring(rendered_dir):
    """k8s/kind (what `make kind-up` applies) builds and adds nothing of its own."""
    kind_docs = yaml.safe_load_all(render(ROOT / "k8s" / "kind"))
    parts = [rendered_dir / "overlay-dev.yaml", rendered_dir / "monitoring.yaml"]
    expected = [doc for part in parts for doc in documents(part)]

    def key(doc):
        return (doc["kind"], doc["metadata"].get("namespace", ""), doc["metadata"]["name"])

    assert sorted(map(key, filter(None, kind_docs))) == sorted(map(key, expected))


def test_supported_range_reaches_the_newest_bundled_schema():
    versions = supported_versions()
    assert versions[0] == "1.29"
    assert Version(versions[-1]) >= Version("1.37"), f"validator bundles only up to {versions}"


@pytest.mark.parametrize("version", supported_versions())
def test_strict_schema_validation(rendered_dir, version):
    validator = require_tool("kubernetes-validate")
    files = sorted(rendered_dir.glob("*.yaml"))
    result = subprocess.run(
        [validator, "--strict", "-k", version, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # A validator that checked nothing would also exit 0: count the resources it passed.
    resource_count = sum(len(documents(f)) for f in files)
    assert output.count("passed for resource") == resource_count, output


def test_strict_validation_rejects_an_unknown_field(rendered_dir, tmp_path):
    """Control: --strict really refuses a misspelt field, so the test above can fail."""
    validator = require_tool("kubernetes-validate")
    docs = documents(rendered_dir / "overlay-dev.yaml")
    deployment = next(doc for doc in docs if doc["kind"] == "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGett"] = {}
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(deployment))
    result = subprocess.run(
        [validator, "--strict", "-k", supported_versions()[-1], str(broken)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "httpGett" in result.stdout + result.stderr


@pytest.fixture(scope="module")
def checkov_report(rendered_dir) -> dict:
    checkov = require_tool("checkov")
    result = subprocess.run(
        [
            checkov,
            "--skip-download",  # without it checkov calls a vendor API (no internet here)
            "--framework",
            "kubernetes",
            "--directory",
            str(rendered_dir),
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.stdout.strip(), f"checkov printed no report:\n{result.stderr[-3000:]}"
    report = json.loads(result.stdout)
    return report[0] if isinstance(report, list) else report


def test_checkov_finds_no_failure(checkov_report):
    failed = checkov_report["results"]["failed_checks"]
    summary = [f"{c['check_id']} {c['resource']}: {c['check_name']}" for c in failed]
    assert not failed, "\n".join(summary)


def test_checkov_really_checked_the_hardening(checkov_report):
    """The run must have passed the restricted-profile checks, not silently scanned nothing."""
    passed = {check["check_id"] for check in checkov_report["results"]["passed_checks"]}
    hardening = {
        "CKV_K8S_20",  # allowPrivilegeEscalation false
        "CKV_K8S_22",  # read-only root filesystem
        "CKV_K8S_28",  # NET_RAW dropped (we drop ALL)
        "CKV_K8S_23",  # not root
        "CKV_K8S_31",  # seccomp RuntimeDefault
        "CKV_K8S_38",  # no service account token
        "CKV_K8S_8",  # liveness probe
        "CKV_K8S_9",  # readiness probe
    }
    assert hardening <= passed, f"not passed: {sorted(hardening - passed)}"


def test_every_checkov_skip_carries_a_reason(checkov_report):
    skipped = checkov_report["results"]["skipped_checks"]
    for check in skipped:
        reason = (check.get("check_result") or {}).get("suppress_comment", "")
        assert len(reason.split()) >= 5, f"{check['check_id']} skipped without a real reason"

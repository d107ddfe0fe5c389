"""Terraform and the kustomize overlays must agree: the platform Terraform builds for an
environment is the one that environment's overlay deploys into.

Each root's real wiring (its main.tf and outputs.tf, the real platform-plan module and the real
variable of the namespace module) is planned offline: only the kubernetes resources are swapped
for a provider-free stand-in that returns the same outputs. The plan's values are then held
against `kubectl kustomize k8s/overlays/<env>`: namespace, sizing, LimitRange, the deployer's
rights over every object the overlay applies, and the Service types the quota allows.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.helpers import ROOT, require_tool

TF_DIR = ROOT / "terraform"
ENVIRONMENTS = ("staging", "production")

# Stand-in for modules/namespace without its kubernetes resources: same output names (a test
# below keeps them in step with the real module), values taken from the plan it is given.
STAND_IN_OUTPUTS = """
output "namespace" { value = var.platform.namespace }
output "deployer_service_account" { value = var.platform.deployer_name }
output "deployer_role" { value = var.platform.deployer_name }
output "resource_quota" { value = var.platform.resource_quota_name }
"""


def output_names(text: str) -> set[str]:
    return set(re.findall(r'^output "([^"]+)"', text, flags=re.MULTILINE))


def test_stand_in_has_the_outputs_of_the_real_namespace_module():
    real = (TF_DIR / "modules" / "namespace" / "outputs.tf").read_text()
    assert output_names(STAND_IN_OUTPUTS) == output_names(real)


def plan_root_offline(env: str, workdir: Path) -> dict:
    """Plan terraform/environments/<env> with the stand-in; return root and platform outputs."""
    modules = workdir / "modules"
    shutil.copytree(TF_DIR / "modules" / "platform-plan", modules / "platform-plan")
    (modules / "namespace").mkdir(parents=True)
    shutil.copy(TF_DIR / "modules" / "namespace" / "variables.tf", modules / "namespace")
    (modules / "namespace" / "outputs.tf").write_text(STAND_IN_OUTPUTS)

    root = workdir / "environments" / env
    root.mkdir(parents=True)
    for name in ("main.tf", "outputs.tf"):
        shutil.copy(TF_DIR / "environments" / env / name, root)
    (root / "contract_test_outputs.tf").write_text(
        'output "platform" { value = module.platform }\n'
    )

    env_vars = {**os.environ, "TF_DATA_DIR": str(workdir / "data"), "TF_IN_AUTOMATION": "1"}
    tool = require_tool("terraform")
    for args in (
        ["init", "-backend=false", "-input=false"],
        ["plan", "-input=false", "-out", str(workdir / "plan")],
    ):
        result = subprocess.run(
            [tool, f"-chdir={root}", *args, "-no-color"],
            env=env_vars,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, f"terraform {args[0]}:\n{result.stdout}\n{result.stderr}"
    shown = subprocess.run(
        [tool, f"-chdir={root}", "show", "-json", str(workdir / "plan")],
        env=env_vars,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    outputs = json.loads(shown.stdout)["planned_values"]["outputs"]
    return {name: output["value"] for name, output in outputs.items()}


def render_overlay(env: str) -> list[dict]:
    result = subprocess.run(
        [require_tool("kubectl"), "kustomize", str(ROOT / "k8s" / "overlays" / env)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module", params=ENVIRONMENTS)
def env_pair(request, tmp_path_factory):
    env = request.param
    planned = plan_root_offline(env, tmp_path_factory.mktemp(f"tf-{env}"))
    return env, planned, render_overlay(env)


def the(objects: list[dict], kind: str) -> dict:
    matching = [obj for obj in objects if obj["kind"] == kind]
    assert len(matching) == 1, f"expected one {kind}, found {len(matching)}"
    return matching[0]


def containers(objects: list[dict]) -> list[dict]:
    return the(objects, "Deployment")["spec"]["template"]["spec"]["containers"]


def millicores(quantity) -> int:
    text = str(quantity)
    return int(text[:-1]) if text.endswith("m") else round(float(text) * 1000)


def mebibytes(quantity) -> int:
    text = str(quantity)
    units = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024}
    for suffix, factor in units.items():
        if text.endswith(suffix):
            return round(float(text[: -len(suffix)]) * factor)
    return round(int(text) / 2**20)  # plain bytes


def test_quantity_parsing():
    assert millicores("250m") == 250 and millicores("1") == 1000 and millicores(0.5) == 500
    assert mebibytes("384Mi") == 384 and mebibytes("1Gi") == 1024 and mebibytes(2**20) == 1


def test_terraform_namespace_is_the_overlays_namespace(env_pair):
    env, planned, objects = env_pair
    kustomization = yaml.safe_load(
        (ROOT / "k8s" / "overlays" / env / "kustomization.yaml").read_text()
    )
    assert planned["namespace"] == kustomization["namespace"]
    assert {obj["metadata"].get("namespace") for obj in objects} == {planned["namespace"]}


def test_platform_is_sized_for_the_overlays_autoscaler_and_rollout(env_pair):
    _, planned, objects = env_pair
    platform = planned["platform"]
    assert (
        platform["max_replicas"] == the(objects, "HorizontalPodAutoscaler")["spec"]["maxReplicas"]
    )
    strategy = the(objects, "Deployment")["spec"]["strategy"]
    assert platform["max_surge"] == str(strategy["rollingUpdate"]["maxSurge"])


def test_limit_range_matches_the_app_container(env_pair):
    _, planned, objects = env_pair
    limits = planned["platform"]["limit_range_container"]
    app = containers(objects)[0]["resources"]
    for kind, key in (("limits", "default"), ("requests", "default_request")):
        assert millicores(app[kind]["cpu"]) == millicores(limits[key]["cpu"]), kind
        assert mebibytes(app[kind]["memory"]) == mebibytes(limits[key]["memory"]), kind


def test_every_container_fits_the_limit_range_maximum(env_pair):
    _, planned, objects = env_pair
    ceiling = planned["platform"]["limit_range_container"]["max"]
    for container in containers(objects):
        limits = container["resources"]["limits"]
        assert millicores(limits["cpu"]) <= millicores(ceiling["cpu"]), container["name"]
        assert mebibytes(limits["memory"]) <= mebibytes(ceiling["memory"]), container["name"]


def test_quota_admits_a_full_rollout_at_maximum_scale(env_pair):
    _, planned, objects = env_pair
    platform = planned["platform"]
    quota = platform["resource_quota_hard"]
    pods = int(quota["pods"])
    assert pods == platform["pod_budget"] > platform["max_replicas"]
    pod_limits = [c["resources"]["limits"] for c in containers(objects)]
    assert pods * sum(millicores(r["cpu"]) for r in pod_limits) <= millicores(quota["limits.cpu"])
    assert pods * sum(mebibytes(r["memory"]) for r in pod_limits) <= mebibytes(
        quota["limits.memory"]
    )


def test_overlay_uses_only_what_the_quota_allows(env_pair):
    _, _, objects = env_pair
    for service in (obj for obj in objects if obj["kind"] == "Service"):
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP", service["metadata"]["name"]
    assert not [obj for obj in objects if obj["kind"] == "PersistentVolumeClaim"]


def plural(kind: str) -> str:
    lower = kind.lower()
    if lower.endswith("y"):
        return lower[:-1] + "ies"
    return lower + ("es" if lower.endswith("s") else "s")


def test_plural_matches_the_api_names():
    assert plural("NetworkPolicy") == "networkpolicies"
    assert plural("Ingress") == "ingresses"
    assert plural("HorizontalPodAutoscaler") == "horizontalpodautoscalers"


def test_deployer_can_apply_every_object_of_the_overlay(env_pair):
    """`kubectl apply -k` gets, creates and patches each object; the deployer must be allowed."""
    _, planned, objects = env_pair
    rules = planned["platform"]["deployer_rules"]
    for obj in objects:
        group = obj["apiVersion"].rpartition("/")[0]  # "v1" -> "" (the core group)
        resource = plural(obj["kind"])
        allowed = any(
            group in rule["api_groups"]
            and resource in rule["resources"]
            and {"get", "create", "patch"} <= set(rule["verbs"])
            for rule in rules
        )
        assert allowed, (
            f"the deployer may not apply {obj['kind']} {obj['metadata']['name']} "
            f"({group or 'core'}/{resource}); add it to deployer_rules in "
            "terraform/modules/platform-plan/main.tf, or keep it out of the overlay"
        )

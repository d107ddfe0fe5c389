"""Terraform through its own tools: fmt, init/validate/test of the provider-free module, and
checkov on everything. Every run uses a throw-away TF_DATA_DIR, so no `.terraform/` is left in
the tree. (The provider roots are validated with `terraform validate` in GitHub Actions, where
the kubernetes provider can be downloaded; see docs/terraform.md.)
"""

import json
import os
import re
import shutil
import subprocess

import pytest

from tests.helpers import ROOT, require_tool

TF_DIR = ROOT / "terraform"
PLAN_MODULE = TF_DIR / "modules" / "platform-plan"


def terraform(*args, cwd, data_dir, check=True):
    env = {
        **os.environ,
        "TF_DATA_DIR": str(data_dir),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "NO_COLOR": "1",
    }
    result = subprocess.run(
        [require_tool("terraform"), f"-chdir={cwd}", *args, "-no-color"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check:
        assert result.returncode == 0, f"terraform {args}:\n{result.stdout}\n{result.stderr}"
    return result


def run_module_tests(module, data_dir):
    terraform("init", "-backend=false", cwd=module, data_dir=data_dir)
    return terraform("test", cwd=module, data_dir=data_dir, check=False)


def test_fmt_is_clean():
    result = subprocess.run(
        [require_tool("terraform"), "fmt", "-check", "-recursive", "-diff", "-no-color", TF_DIR],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"run `terraform fmt -recursive terraform/`:\n{result.stdout}"


def test_platform_plan_inits_validates_and_passes_every_test(tmp_path):
    terraform("init", "-backend=false", cwd=PLAN_MODULE, data_dir=tmp_path)
    terraform("validate", cwd=PLAN_MODULE, data_dir=tmp_path)
    result = terraform("test", cwd=PLAN_MODULE, data_dir=tmp_path)

    # Every `run` block must have run and passed: none skipped after an earlier failure.
    declared = sum(
        len(re.findall(r'^run "', path.read_text(), flags=re.MULTILINE))
        for path in (PLAN_MODULE / "tests").glob("*.tftest.hcl")
    )
    summary = re.search(r"(\d+) passed, (\d+) failed", result.stdout)
    assert summary, result.stdout
    assert (int(summary[1]), int(summary[2])) == (declared, 0), result.stdout
    assert declared >= 20

    # Nothing left behind in the tree (init wrote only into TF_DATA_DIR).
    leftovers = {p.name for p in PLAN_MODULE.iterdir()} - {
        "main.tf",
        "outputs.tf",
        "variables.tf",
        "versions.tf",
        "tests",
    }
    assert leftovers == set(), leftovers


@pytest.mark.parametrize(
    ("file", "original", "broken", "failing_run"),
    [
        # Kubernetes rounds a percentage surge up; rounding down under-sizes the quota.
        ("main.tf", "? ceil(", "? floor(", "default_surge_of_25_percent_rounds_up"),
        # The deployer must never reach secrets.
        (
            "main.tf",
            'resources = ["services", "configmaps", "serviceaccounts"]',
            'resources = ["services", "configmaps", "serviceaccounts", "secrets"]',
            "cannot_touch_secrets_rbac_or_exec",
        ),
        # The namespace must enforce the restricted Pod Security profile.
        (
            "main.tf",
            '"pod-security.kubernetes.io/enforce"         = "restricted"',
            '"pod-security.kubernetes.io/enforce"         = "baseline"',
            "namespace_enforces_restricted_pod_security",
        ),
    ],
    ids=["surge-rounding", "secrets-grant", "pod-security"],
)
def test_terraform_test_catches_a_broken_module(tmp_path, file, original, broken, failing_run):
    """The tests can fail: a copy of the module with one rule broken must not pass."""
    copy = tmp_path / "platform-plan"
    shutil.copytree(PLAN_MODULE, copy)
    source = (copy / file).read_text()
    assert original in source, f"mutation target not found in {file}: {original!r}"
    (copy / file).write_text(source.replace(original, broken, 1))

    result = run_module_tests(copy, tmp_path / "data")
    assert result.returncode != 0, result.stdout
    assert f'run "{failing_run}"... fail' in result.stdout, result.stdout


def checkov(directory):
    result = subprocess.run(
        [
            require_tool("checkov"),
            "--skip-download",
            "--quiet",
            "--compact",
            "--framework",
            "terraform",
            "--output",
            "json",
            "-d",
            str(directory),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.stdout.strip(), f"checkov printed nothing:\n{result.stderr[-2000:]}"
    report = json.loads(result.stdout)
    return result.returncode, report["summary"]


def test_checkov_is_clean_and_really_scanned_something():
    returncode, summary = checkov(TF_DIR)
    assert summary["failed"] == 0 and returncode == 0, summary
    # Passed checks prove the kubernetes resources were parsed; a scan that saw no resource
    # would also report zero failures.
    assert summary["passed"] >= 5, summary
    assert summary["parsing_errors"] == 0, summary


def test_checkov_fails_on_a_wildcard_role(tmp_path):
    """Same invocation, a policy violation planted: checkov must report it."""
    (tmp_path / "main.tf").write_text(
        'resource "kubernetes_role_v1" "too_wide" {\n'
        "  metadata {\n"
        '    name      = "too-wide"\n'
        '    namespace = "somewhere"\n'
        "  }\n"
        "  rule {\n"
        '    api_groups = ["*"]\n'
        '    resources  = ["*"]\n'
        '    verbs      = ["*"]\n'
        "  }\n"
        "}\n"
    )
    returncode, summary = checkov(tmp_path)
    assert returncode != 0 and summary["failed"] >= 1, summary

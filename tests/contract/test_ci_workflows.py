"""The GitHub side of CI/CD held to the security rules we promise, read as data (Python only).

The same files through their real tools (schemas, actionlint, zizmor, npm-groovy-lint) are in
tests/infra/test_ci_workflows.py.
"""

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.contract.ci_files import WORKFLOWS, load_workflow, run_scripts, workflow_names
from tests.helpers import ROOT

ISSUE_TEMPLATES = ROOT / ".github" / "ISSUE_TEMPLATE"
PINNED_USES = re.compile(
    r"^\s*-?\s*uses:\s*([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # v?\d+\.\d+\.\d+\s*$"
)


# --- the security rules ---------------------------------------------------------------------


@pytest.mark.parametrize("workflow", workflow_names())
def test_every_action_is_pinned_by_sha_with_its_version(workflow):
    lines = [line for line in (WORKFLOWS / workflow).read_text().splitlines() if "uses:" in line]
    assert lines
    unpinned = [line.strip() for line in lines if not PINNED_USES.match(line)]
    assert not unpinned, f"pin by 40-hex commit SHA with '# vX.Y.Z': {unpinned}"


def test_one_action_version_has_one_sha():
    seen: dict[str, set[str]] = {}
    for workflow in workflow_names():
        for line in (WORKFLOWS / workflow).read_text().splitlines():
            match = PINNED_USES.match(line)
            if match:
                seen.setdefault(match.group(1), set()).add(match.group(2))
    drifted = {action: shas for action, shas in seen.items() if len(shas) > 1}
    assert not drifted, f"one action, several SHAs (update all together): {drifted}"


@pytest.mark.parametrize("workflow", workflow_names())
def test_least_privilege_and_no_untrusted_input_in_scripts(workflow):
    data = load_workflow(workflow)
    assert data["permissions"] == {"contents": "read"}
    assert "pull_request_target" not in data["on"]
    for script in run_scripts(data):
        assert "${{" not in script, (
            f"pass expressions through env:, not into the script: {script!r}"
        )
    for job in data["jobs"].values():
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


def test_only_the_jobs_that_need_it_can_write():
    writers = {}
    for workflow in workflow_names():
        for name, job in load_workflow(workflow)["jobs"].items():
            granted = {k for k, v in job.get("permissions", {}).items() if v == "write"}
            if granted:
                writers[f"{workflow}:{name}"] = granted
    assert writers == {
        "cd.yml:publish": {"packages", "id-token"},
        "retrain.yml:open-pull-request": {"contents", "pull-requests"},
    }


@pytest.mark.parametrize(
    ("job", "secret"), [("deploy-staging", "STAGING"), ("deploy-production", "PRODUCTION")]
)
def test_deploys_skip_with_a_notice_when_their_secret_is_missing(job, secret):
    steps = load_workflow("cd.yml")["jobs"][job]["steps"]
    gate = steps[0]
    assert gate["env"]["KUBECONFIG_B64"] == f"${{{{ secrets.{secret}_KUBECONFIG }}}}"
    assert 'if [ -z "$KUBECONFIG_B64" ]' in gate["run"] and "::notice" in gate["run"]
    # Every later step is conditional on the gate, so a fork without secrets stays green.
    assert all(step.get("if") == "steps.cluster.outputs.enabled == 'true'" for step in steps[1:])
    # The gate script itself, run with an empty secret, answers enabled=false and exits 0.
    output = Path(subprocess.run(["mktemp"], capture_output=True, text=True).stdout.strip())
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", gate["run"]],
        env={"KUBECONFIG_B64": "", "GITHUB_OUTPUT": str(output), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0
    assert output.read_text() == "enabled=false\n"
    output.unlink()


def test_production_deploys_only_tags_and_staging_only_main():
    jobs = load_workflow("cd.yml")["jobs"]
    assert jobs["deploy-production"]["environment"] == "production"
    assert "refs/tags/v" in jobs["deploy-production"]["if"]
    assert jobs["deploy-staging"]["environment"] == "staging"
    assert jobs["deploy-staging"]["if"] == "github.ref == 'refs/heads/main'"


def test_ci_cancels_superseded_runs_and_tests_two_pythons():
    ci = load_workflow("ci.yml")
    assert ci["concurrency"] == {
        "group": "${{ github.workflow }}-${{ github.ref }}",
        "cancel-in-progress": True,
    }
    assert ci["jobs"]["test"]["strategy"]["matrix"]["python"] == ["3.11", "3.12"]
    assert "--junitxml=" in ci["jobs"]["test"]["env"]["PYTEST_ADDOPTS"]


def test_retrain_listens_for_the_drift_bridge_event():
    on = load_workflow("retrain.yml")["on"]
    # The monitoring bridge sends exactly this event type; renaming it breaks the loop.
    assert on["repository_dispatch"] == {"types": ["drift-detected"]}
    assert "schedule" in on and "workflow_dispatch" in on


# --- issue forms and dependabot ---------------------------------------------------------


def test_feedback_form_asks_for_every_lifecycle_stage_and_a_rating():
    form = yaml.safe_load((ISSUE_TEMPLATES / "feedback.yml").read_text())
    fields = {item.get("id"): item for item in form["body"] if "id" in item}
    stages = fields["stage"]["attributes"]["options"]
    assert len(stages) == len(set(stages)) == 19  # 9 DevOps + 10 MLOps stages
    assert sum(s.startswith("DevOps:") for s in stages) == 9
    assert fields["rating"]["attributes"]["options"] == ["1", "2", "3", "4", "5"]
    for required in ("tried", "happened", "environment", "stage", "rating"):
        assert fields[required]["validations"]["required"] is True


def test_dependabot_watches_every_pinned_ecosystem():
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    ecosystems = {update["package-ecosystem"] for update in config["updates"]}
    assert ecosystems >= {"uv", "github-actions", "docker", "npm"}
    docker = next(u for u in config["updates"] if u["package-ecosystem"] == "docker")
    for directory in docker["directories"]:
        assert (ROOT / directory.lstrip("/") / "Dockerfile").is_file(), directory

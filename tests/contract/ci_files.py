"""Readers shared by the CI tests: workflows, the Jenkinsfile, and the make targets they call."""

import re
import subprocess
from functools import cache

import yaml

from tests.helpers import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
JENKINSFILE = ROOT / "Jenkinsfile"
# Tests that only the pipelines run, not `make check`: they download Terraform's providers or
# need a kind cluster, which the offline CI machine has not. Delivery waits for them too.
PIPELINE_ONLY_TESTS = ("tf-roots-validate", "k8s-smoke", "k8s-rollback-check")
TARGET = re.compile(r"^[a-z][a-z0-9_-]*$")
# `make` in command position: line start, after `$(`, `&&`, `||`, `;` or `|` (not in prose),
# maybe run as root (`sudo make`, `sudo env PATH=... make`).
MAKE_CALL = re.compile(
    r"(?:^\s*|\$\(\s*|&&\s*|\|\|?\s*|;\s*)(?:sudo\s+(?:env\s+(?:\S+=\S+\s+)*)?)?make\s+([^\n]*)",
    re.MULTILINE,
)


def load_workflow(name: str) -> dict:
    # PyYAML reads the key `on` as True (YAML 1.1); CI workflows only use it as a key.
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    if True in data:
        data["on"] = data.pop(True)
    return data


def workflow_names() -> list[str]:
    return sorted(path.name for path in WORKFLOWS.glob("*.yml"))


def targets_in_command(text: str) -> list[str]:
    """Make targets named by every `make ...` call in a shell snippet."""
    targets = []
    for match in MAKE_CALL.finditer(text):
        for token in match.group(1).split():
            token = re.split(r"[)\"';|&]", token)[0]
            if token.startswith("-") or "=" in token:
                continue
            if not TARGET.match(token):
                break
            targets.append(token)
    return targets


def run_scripts(workflow: dict) -> list[str]:
    return [
        step["run"]
        for job in workflow["jobs"].values()
        for step in job.get("steps", [])
        if "run" in step
    ]


def workflow_calls(name: str) -> list[str]:
    """Every make target a workflow calls, once per call, in file order."""
    return [t for script in run_scripts(load_workflow(name)) for t in targets_in_command(script)]


def workflow_targets(name: str) -> set[str]:
    return set(workflow_calls(name))


def shell_calls(groovy: str) -> list[str]:
    """Make targets of a piece of Jenkinsfile, once per call, from its shell steps only:
    `sh 'make x'` and the bodies of sh ''' ... ''' blocks."""
    shell = re.findall(r"sh\s+'''(.*?)'''|sh\s+'([^']*)'", groovy, flags=re.DOTALL)
    return [t for block in shell for part in block for t in targets_in_command(part)]


def shell_targets(groovy: str) -> set[str]:
    return set(shell_calls(groovy))


def jenkins_calls() -> list[str]:
    return shell_calls(JENKINSFILE.read_text())


def jenkins_targets() -> set[str]:
    return set(jenkins_calls())


def jenkins_stages() -> list[str]:
    return re.findall(r"stage\('([^']+)'\)", JENKINSFILE.read_text())


@cache
def make_database() -> str:
    """make's database (`make -pRrq`): every variable and target, with nothing executed."""
    return subprocess.run(
        ["make", "-pRrq", "-f", "Makefile", ":"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout


def defined_make_targets() -> frozenset[str]:
    """Every target make knows."""
    names = re.findall(r"^([a-zA-Z0-9_.-]+):(?!=)", make_database(), flags=re.MULTILINE)
    return frozenset(names)


@cache
def check_parts() -> tuple[str, ...]:
    """The parts of `make check`, in order: CHECK_PARTS in mk/core.mk, the one list of stages."""
    answer = subprocess.run(
        ["make", "-s", "print-check-parts"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return tuple(answer.stdout.split())

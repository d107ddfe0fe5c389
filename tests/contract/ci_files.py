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
# The Python of the Jenkins image's Debian (trixie): ci.yml's test matrix covers it, and
# tests/infra/test_jenkins_agent.py finds it on the agent.
JENKINS_AGENT_PYTHON = "3.13"
# Parts of `make check` that only the CI machine runs (.ci/run), each with its reason. The
# pipelines run everything else; `make pipeline` runs these too.
CI_MACHINE_ONLY_PARTS = {
    "agent-toolchain": "proves the Jenkins image's packages on trixie on the one machine that "
    "cannot build that image; Jenkins already runs in it, and GitHub Actions runs no Jenkins",
}
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


# --- the commands the Jenkins agent must have ------------------------------------------------
# Every shell script of the Jenkinsfile: sh '...', sh '''...''', sh(script: '...' or "...").
SH_STEP = re.compile(
    r"""\bsh\s*\(?\s*(?:script:\s*)?(?:'''(.*?)'''|'([^']*)'|"([^"]*)")""", flags=re.DOTALL
)
# Where a new simple command starts in a shell script: a line, `;`, a pipe, `&&`, `||`, `$(`.
COMMAND_START = re.compile(r"\n|;|\|\|?|&&|\$\(")
SHELL_KEYWORDS = {"if", "then", "else", "elif", "fi", "do", "done", "while", "for", "!"}
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def jenkins_shell_scripts() -> list[str]:
    return ["".join(parts) for parts in SH_STEP.findall(JENKINSFILE.read_text())]


def commands_in_script(script: str) -> set[str]:
    """The programs a shell script runs: the first word of each simple command, after
    keywords and variable assignments (`x=$(cmd ...)` runs cmd)."""
    commands = set()
    for piece in COMMAND_START.split(script):
        for word in piece.split():
            if word in SHELL_KEYWORDS or ASSIGNMENT.match(word):
                continue
            if re.fullmatch(r"[a-z\[][a-z0-9_.\[-]*", word):
                commands.add(word)
            break
    return commands


def jenkins_commands() -> set[str]:
    """Every program a Jenkinsfile `sh` step calls, and every tool a stage probes for with
    toolAvailable('...')."""
    probed = set(re.findall(r"toolAvailable\('([^']+)'\)", JENKINSFILE.read_text()))
    return probed.union(*map(commands_in_script, jenkins_shell_scripts()))

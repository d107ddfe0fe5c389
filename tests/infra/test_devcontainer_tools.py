""".devcontainer/devcontainer.json read by @devcontainers/cli (`devcontainer read-configuration`,
the CLI that Codespaces and VS Code build on), then held against the repository: the ports it
forwards are the ones the stack publishes, and its set-up command names real make targets.

read-configuration asks a container engine for a running dev container first; `--docker-path
true` tells it there is none (this machine has no engine), so it reads the file alone. It is a
lenient reader — a file cut short still comes back, without its keys — so the checks below
are what make a broken file fail, and the last test proves they do.
"""

import json
import re
import shutil
import subprocess

import yaml

from tests.helpers import ROOT
from tests.infra.test_ci_tools import node_tool

CONFIG = ROOT / ".devcontainer" / "devcontainer.json"
MLFLOW_PORT = 5000  # mk/ml.mk's MLFLOW_PORT default: `make experiments`


def read_configuration(workspace) -> dict:
    result = subprocess.run(
        [
            node_tool("devcontainer"),
            "read-configuration",
            "--workspace-folder",
            str(workspace),
            "--docker-path",
            "true",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)["configuration"]


def problems(configuration: dict) -> list[str]:
    found = []
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())
    published = {
        int(port.split(":")[-1])
        for name in ("app", "prometheus", "alertmanager", "grafana")
        for port in compose["services"][name].get("ports", [])
    }
    if set(configuration.get("forwardPorts", [])) != published | {MLFLOW_PORT}:
        found.append(
            f"forwardPorts {configuration.get('forwardPorts')} != {sorted(published)} + MLflow"
        )
    makefiles = "\n".join(p.read_text() for p in [ROOT / "Makefile", *ROOT.glob("mk/*.mk")])
    command = configuration.get("postCreateCommand", "")
    if not command.startswith("make "):
        found.append(f"postCreateCommand is not a make call: {command!r}")
    for target in command.split()[1:]:
        if not re.search(rf"^{re.escape(target)}:", makefiles, re.MULTILINE):
            found.append(f"postCreateCommand names no make target {target!r}")
    if "image" not in configuration:
        found.append("no image")
    return found


def test_the_devcontainer_reads_and_matches_the_repository():
    assert problems(read_configuration(ROOT)) == []


def test_a_broken_devcontainer_fails_the_checks(tmp_path):
    (tmp_path / ".devcontainer").mkdir()
    shutil.copy(CONFIG, tmp_path / ".devcontainer" / "devcontainer.json")
    text = CONFIG.read_text()
    (tmp_path / ".devcontainer" / "devcontainer.json").write_text(text[: len(text) // 3])
    assert problems(read_configuration(tmp_path))

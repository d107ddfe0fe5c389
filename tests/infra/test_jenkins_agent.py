"""The Jenkins agent's toolchain, proven on this machine: Debian trixie with the packages of
docker/jenkins/packages.txt, the one list the Jenkins image installs too.

The Jenkins image itself cannot be built here (its base image cannot be pulled), so
`make agent-toolchain` builds the same packages into a trixie root file system
(scripts/agent-rootfs.sh, debootstrap) and points AGENT_ROOTFS at it. In it, every command
a Jenkinsfile `sh` step calls must exist, and `make test` must pass on trixie's Python, as
the jenkins user (uid 1000) whom Jenkins runs its steps as.
"""

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.contract.ci_files import JENKINS_AGENT_PYTHON, jenkins_commands
from tests.helpers import ROOT, missing, require_tool

# Tools the Jenkinsfile probes for (toolAvailable) that packages.txt deliberately lacks: their
# stages are skipped on an agent without them, and say so.
NOT_FROM_DEBIAN = {
    "terraform": "not in Debian: the Dockerfile adds it from HashiCorp's repository",
    "kind": "not in Debian: the kind stage runs in GitHub Actions (ci.yml, e2e-kind)",
}


@pytest.fixture(scope="module")
def rootfs() -> Path:
    path = Path(os.environ.get("AGENT_ROOTFS", ""))
    if not (path / "etc/agent-packages.txt").is_file():
        missing("no agent root file system: run `make agent-toolchain` (sets AGENT_ROOTFS)")
    if os.geteuid() != 0:
        missing("entering the agent root file system needs root")
    return path


def on_agent(rootfs: Path, script: str) -> subprocess.CompletedProcess:
    """Run a shell script in the root file system as the jenkins user, with its PATH."""
    return subprocess.run(
        [
            require_tool("chroot"),
            "--userspec=jenkins:jenkins",
            str(rootfs),
            "/bin/sh",
            "-c",
            script,
        ],
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/home/jenkins", "LANG": "C.UTF-8"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_agent_holds_the_image_package_list(rootfs):
    installed = (rootfs / "etc/agent-packages.txt").read_text()
    assert installed == (ROOT / "docker/jenkins/packages.txt").read_text(), (
        "the root file system was built from another list: rerun `make agent-toolchain`"
    )


@pytest.mark.parametrize("command", sorted(jenkins_commands() - set(NOT_FROM_DEBIAN)))
def test_every_command_a_jenkinsfile_step_calls_is_on_the_agent(rootfs, command):
    result = on_agent(rootfs, f"command -v {command}")
    assert result.returncode == 0, (
        f"`{command}` is not on the agent: add its package to packages.txt"
    )


def test_the_check_finds_a_missing_command(rootfs):
    assert on_agent(rootfs, "command -v no-such-command").returncode != 0


def test_the_tools_left_out_are_still_probed_by_the_jenkinsfile():
    """A reason for a tool the Jenkinsfile no longer uses would hide nothing, but mislead."""
    assert set(NOT_FROM_DEBIAN) <= jenkins_commands()


def test_the_agent_runs_trixies_python(rootfs):
    result = on_agent(rootfs, "python3 --version")
    assert re.match(rf"Python {re.escape(JENKINS_AGENT_PYTHON)}\.\d+$", result.stdout.strip()), (
        result
    )


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_make_test_passes_on_the_agent(rootfs, tmp_path):
    """`make test` from a clone of the committed HEAD, as a Jenkins checkout would be: uv, the
    venv and every wheel for trixie's Python come from the package index, as in the image."""
    workspace = rootfs / "home/jenkins/workspace"
    subprocess.run(["rm", "-rf", str(workspace)], check=True)
    subprocess.run(
        ["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(workspace)], check=True
    )
    subprocess.run(["chown", "-R", "1000:1000", str(workspace)], check=True)
    # The agent's own network namespace, /proc and /dev: podman runs the root file system as
    # it is, as the jenkins user, with the host's network to reach the package index.
    result = subprocess.run(
        [
            require_tool("podman"),
            "run",
            "--rm",
            "--rootfs",
            "--network=host",
            "--user=1000:1000",
            "--env=CI=true",
            "--env=UV_SYSTEM_CERTS=1",
            "--env=HOME=/home/jenkins",
            "--workdir=/home/jenkins/workspace",
            str(rootfs),
            "make",
            "test",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=880,
    )
    output = result.stdout
    (ROOT / "reports").mkdir(exist_ok=True)
    (ROOT / "reports/agent-make-test.log").write_text(output)
    assert result.returncode == 0, output[-4000:]
    assert re.search(r"\d+ passed", output), output[-2000:]

"""`make hooks` in a fresh clone: pre-commit comes with the dev dependencies, so lab 1's step
works, and the hooks it installs refuse a commit whose subject is not conventional."""

import shlex
import subprocess

from tests.helpers import ROOT


def git(clone, *args):
    identity = ["-c", "user.name=Student", "-c", "user.email=student@example.com"]
    return subprocess.run(
        ["git", *identity, *args], cwd=clone, capture_output=True, text=True, check=False
    )


def hooks_command() -> list[str]:
    """The command `make hooks` runs (make --dry-run prints it), with this .venv's pre-commit:
    a clone's own .venv would take a full `make setup`."""
    dry_run = subprocess.run(
        ["make", "--dry-run", "hooks"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    line = next(line for line in dry_run.stdout.splitlines() if "pre-commit install" in line)
    program, *args = shlex.split(line)
    return [str(ROOT / program), *args]


def test_make_hooks_installs_hooks_that_check_each_commit(tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    installed = subprocess.run(
        hooks_command(), cwd=clone, capture_output=True, text=True, check=False
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    for hook in ("pre-commit", "commit-msg"):
        assert "pre-commit" in (clone / ".git" / "hooks" / hook).read_text()

    refused = git(clone, "commit", "--allow-empty", "-m", "stuff")
    assert refused.returncode != 0
    assert "conventional commit subject" in refused.stdout + refused.stderr
    accepted = git(clone, "commit", "--allow-empty", "-m", "docs: try the hooks")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr

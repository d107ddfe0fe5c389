"""docker/Dockerfile (the app) and docker/locust.Dockerfile (the compose stack's load
generator) through hadolint, which must pass them and must flag a careless one.
(checkov's Dockerfile policies run in `make validate-docker`; the Dockerfile held against the
app is tests/contract/test_docker_image.py.)"""

import subprocess
from pathlib import Path

import pytest

from tests.helpers import ROOT, require_tool

DOCKERFILES = [ROOT / "docker" / "Dockerfile", ROOT / "docker" / "locust.Dockerfile"]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.name)
def test_hadolint_is_clean_and_every_ignore_says_why(dockerfile):
    hadolint = require_tool("hadolint")
    result = subprocess.run([hadolint, str(dockerfile)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = dockerfile.read_text().splitlines()
    for number, line in enumerate(lines):
        if "hadolint ignore=" in line:
            assert number and lines[number - 1].lstrip().startswith("#"), (
                f"line {number + 1}: say why, in a comment above the ignore"
            )


def test_hadolint_does_flag_a_careless_dockerfile(tmp_path: Path):
    hadolint = require_tool("hadolint")
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM python:latest\nRUN apt-get install curl\nCMD python app.py\n")
    result = subprocess.run([hadolint, str(careless)], capture_output=True, text=True)
    assert result.returncode != 0
    for rule in ("DL3007", "DL3008", "DL3025"):
        assert rule in result.stdout

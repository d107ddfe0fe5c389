"""`make profile` (scripts/profile_request.py), run for real at its smallest."""

import re
import subprocess
import sys

import pytest

from tests.helpers import ROOT


def profile(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "scripts/profile_request.py", "--requests", "100", *args],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--path", "/api/v1/predict"), {"prometheus_client", "app/", "model_registry/"}),
        (("--app", "exporter"), {"prometheus_flask_exporter", "flask", "werkzeug"}),
    ],
)
def test_the_profile_names_the_libraries_a_request_spends_its_time_in(args, expected):
    out = profile(*args, "--top", "40")
    shares = {
        name: float(share)
        for share, name in re.findall(r"^\s+([\d.]+)%\s+(.+)$", out, re.MULTILINE)
    }
    assert expected <= {name.split(" ")[0] for name in shares}, out
    assert 99.0 < sum(shares.values()) <= 100.5, out  # every library's share, once

"""`make bench`, run for real at its smallest: both apps under gunicorn, loaded by wrk.

Only the plumbing is checked here — the servers start, every response is a 2xx (the bench
stops on any other), the ratios come out and the exit status says what the verdict line
says. Whether the targets are met is the bench's own output: this shared machine's noise
makes any single short run unfit to judge them (README, Performance).
"""

import re
import subprocess
import sys

import pytest

from tests.helpers import ROOT, require_tool

pytestmark = pytest.mark.integration


def test_the_bench_prints_every_ratio_and_exits_by_its_verdict():
    require_tool("wrk")
    command = [sys.executable, "scripts/bench.py", "--generations", "1", "--rounds", "1"]
    result = subprocess.run(
        [*command, "--seconds", "1", "--control"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    ratios = dict(re.findall(r"^\s+(\w+)\s+throughput\s+([\d.]+)", result.stdout, re.MULTILINE))
    assert set(ratios) == {"healthz", "predict", "control"}, result.stdout
    assert all(0.2 < float(ratio) < 5.0 for ratio in ratios.values()), ratios
    below = result.stdout.count("BELOW TARGET")
    assert result.returncode == (1 if below else 0), result.stdout

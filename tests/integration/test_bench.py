"""`make bench`, run for real at its smallest: this app, the bare app, the exporter app and
the A/A control's second bare app under gunicorn, loaded by wrk.

Only the plumbing is checked here — the servers start, every response is a 2xx (the bench
stops on any other), the exporter app counted its requests (the bench stops otherwise), a
ratio comes out for every comparison and the exit status says what the verdict lines say.
Whether the targets are met is the bench's own output: this shared machine's noise makes
any single short run unfit to judge them (README, Performance).
"""

import re
import sys

import pytest

from tests.helpers import ROOT, require_tool, start_server, stop_server

pytestmark = pytest.mark.integration

# One line each in the summary: this app against each baseline, then the A/A control.
COMPARISONS = ["healthz vs bare", "healthz vs exporter", "predict vs bare", "bare vs bare"]


def test_the_bench_prints_every_ratio_and_exits_by_its_verdict(tmp_path):
    require_tool("wrk")
    command = [sys.executable, "scripts/bench.py", "--generations", "1", "--rounds", "1"]
    # Started as a server is, so that whatever the bench starts (gunicorns, wrk) is checked
    # to be gone when it ends.
    log = tmp_path / "bench.log"
    bench = start_server([*command, "--seconds", "1", "--control"], log, cwd=ROOT)
    try:
        returncode = bench.wait(timeout=300)
    finally:
        stop_server(bench)
    output = log.read_text()
    assert returncode in (0, 1), output
    lines = re.findall(r"^\s+(\w+ vs \w+)\s+throughput\s+([\d.]+) .*\((.*)\)", output, re.MULTILINE)
    assert [case for case, _, _ in lines] == COMPARISONS, output
    for case, ratio, verdict in lines:
        assert 0.2 < float(ratio) < 5.0, (case, ratio)
        target = re.fullmatch(r"target ≥ ([\d.]+), (ok|BELOW TARGET)", verdict)
        if case == "bare vs bare":
            assert target is None, verdict
        else:
            assert target, (case, verdict)
            met = float(ratio) >= float(target.group(1))
            assert target.group(2) == ("ok" if met else "BELOW TARGET"), (case, ratio, verdict)
    below = output.count("BELOW TARGET")
    assert returncode == (1 if below else 0), output

"""`make load`: locust, headless, against the service under a real gunicorn — each mix sends
what it promises and leaves its CSV stats in build/locust/."""

import csv
import json
import subprocess
import urllib.request

import pytest

from tests.helpers import ROOT, run_gunicorn

pytestmark = pytest.mark.integration


def make_load(url: str, mix: str) -> dict:
    done = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "load",
            f"MIX={mix}",
            f"LOAD_URL={url}",
            "LOAD_ARGS=--users 4 --spawn-rate 4 --run-time 20s",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    stats = ROOT / "build" / "locust" / f"{mix}_stats.csv"
    assert stats.exists(), done.stdout + done.stderr
    rows = {row["Name"]: row for row in csv.DictReader(stats.open())}
    return {"exit": done.returncode, "rows": rows, "output": done.stdout + done.stderr}


def test_the_normal_mix_predicts_without_a_failure():
    with run_gunicorn() as server:
        load = make_load(server.url, "normal")
    predict = load["rows"]["/api/v1/predict"]
    assert int(predict["Request Count"]) > 0, load["output"]
    assert int(predict["Failure Count"]) == 0, load["output"]
    assert load["exit"] == 0, load["output"]


def test_the_chaos_mix_fails_requests_on_purpose_and_then_stops_the_chaos():
    with run_gunicorn() as server:
        load = make_load(server.url, "chaos")
        with urllib.request.urlopen(server.url + "/chaos", timeout=5) as response:
            chaos = json.load(response)
    predict = load["rows"]["/api/v1/predict"]
    assert int(predict["Failure Count"]) > 0, load["output"]  # the injected 500s
    assert load["exit"] != 0  # locust's exit status: there were failures
    assert chaos["error_rate"] == 0  # the test_stop hook switched it off

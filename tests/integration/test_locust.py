"""`make load`: locust, headless, against the service under a real gunicorn. Each mix sends
what it promises — measured where the monitoring measures it, the app's own /metrics — and
leaves its CSV stats in build/locust/."""

import csv
import json
import math
import subprocess
import urllib.request
from collections import defaultdict

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ml.drift import SHIFTS
from tests.helpers import ROOT, run_gunicorn

pytestmark = pytest.mark.integration

CHAOS = {"CHAOS_ENABLED": "true", "APP_ENV": "development"}
PREDICT = "/api/v1/predict"


def make_load(url: str, mix: str, users: int, seconds: int, options: str = "") -> dict:
    args = f"--users {users} --spawn-rate {users} --run-time {seconds}s"
    done = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "load",
            f"MIX={mix}",
            f"LOAD_URL={url}",
            f"LOAD_ARGS={args} {options}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    stats = ROOT / "build" / "locust" / f"{mix}_stats.csv"
    failures = ROOT / "build" / "locust" / f"{mix}_failures.csv"
    output = done.stdout + done.stderr
    assert stats.exists() and failures.exists(), output
    return {
        "exit": done.returncode,
        "rows": {row["Name"]: row for row in csv.DictReader(stats.open())},
        "failures": list(csv.DictReader(failures.open())),
        "output": output,
    }


def app_metrics(url: str) -> dict[str, list]:
    """name -> samples of the app's /metrics, read with prometheus_client's parser."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as response:
        text = response.read().decode()
    samples = defaultdict(list)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[sample.name].append(sample)
    return samples


def requests_by_status(metrics, route: str | None = None) -> dict[str, float]:
    """status -> requests the app answered, on `route` or on any route but /metrics."""
    counts = defaultdict(float)
    for sample in metrics["http_requests_total"]:
        if sample.labels["route"] == (route or sample.labels["route"]) != "/metrics":
            counts[sample.labels["status"]] += sample.value
    return counts


def psi_per_feature(metrics) -> dict[str, float]:
    """The drift index per feature, as the recording rule computes it: every training-decile
    bin expects 10 % of the values."""
    bins = defaultdict(dict)
    for sample in metrics["model_input_bin_total"]:
        bins[sample.labels["feature"]][sample.labels["bin"]] = sample.value
    psi = {}
    for feature, counts in bins.items():
        total = sum(counts.values())
        shares = [max(counts.get(str(b), 0) / total, 0.001) for b in range(10)]
        psi[feature] = sum((share - 0.1) * math.log(share / 0.1) for share in shares)
    return psi


def chaos_switches(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/chaos", timeout=5) as response:
        return json.load(response)


def test_the_normal_mix_predicts_every_decile_evenly_and_every_request_is_counted():
    with run_gunicorn() as server:
        load = make_load(server.url, "normal", users=10, seconds=10)
        metrics = app_metrics(server.url)
    predict = load["rows"][PREDICT]
    assert load["exit"] == 0, load["output"]
    assert int(predict["Failure Count"]) == 0 and load["failures"] == [], load["output"]
    # Everything locust counted, the app counted too (across its two workers), all 200s.
    # Not equal: locust writes the CSV once a second and not again at the end, so the last
    # second's requests are in the app's count only.
    statuses = requests_by_status(metrics, PREDICT)
    assert set(statuses) == {"200"}, statuses
    assert statuses["200"] >= int(predict["Request Count"]) > 0, (statuses, predict)
    # Under the drift alert's line (0.2): a few hundred random rows of the training data
    # stay well below it, however busy the machine (fewer requests, a noisier index).
    psi = psi_per_feature(metrics)
    assert len(psi) == 13 and max(psi.values()) < 0.2, (psi, statuses)


def test_the_drift_mix_moves_exactly_the_shifted_features_over_the_alert_line():
    with run_gunicorn() as server:
        load = make_load(server.url, "drift", users=10, seconds=8)
        psi = psi_per_feature(app_metrics(server.url))
    assert load["exit"] == 0, load["output"]
    assert {feature for feature, value in psi.items() if value > 0.2} == set(SHIFTS), psi


def test_the_chaos_mix_fails_requests_on_purpose_sends_careless_ones_and_then_stops():
    with run_gunicorn(env=CHAOS) as server:
        load = make_load(server.url, "chaos", users=4, seconds=5)
        statuses = requests_by_status(app_metrics(server.url))
        after = chaos_switches(server.url)
    # The injected 500s are failures for the client, and the only ones: locust exits 0.
    assert load["exit"] == 0, load["output"]
    errors = {failure["Error"] for failure in load["failures"]}
    assert errors == {"CatchResponseError('error injected by chaos')"}, load["failures"]
    assert statuses["500"] > 0 and statuses["200"] > 0, statuses
    assert {"400", "404", "415"} <= set(statuses), statuses  # the careless requests' 4xx
    assert after["error_rate"] == 0  # the test_stop hook switched it off


def test_the_slow_mix_slows_every_prediction_while_it_runs():
    with run_gunicorn(env=CHAOS) as server:
        load = make_load(server.url, "slow", users=4, seconds=3, options="--chaos-latency 0.3")
        metrics = app_metrics(server.url)
        after = chaos_switches(server.url)
    assert load["exit"] == 0, load["output"]
    buckets = metrics["http_request_duration_seconds_bucket"]
    within_slo = [
        s.value for s in buckets if s.labels["route"] == PREDICT and s.labels["le"] == "0.25"
    ]
    assert within_slo == [0], within_slo  # not one prediction within the 0.25 s objective
    assert int(load["rows"][PREDICT]["Request Count"]) > 0, load["output"]
    assert after["latency_seconds"] == 0

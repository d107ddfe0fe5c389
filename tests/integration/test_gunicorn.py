"""The service under a real gunicorn with several workers: counters, drain, reload, chaos."""

import http.client
import json
import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from scripts.launch import gunicorn_command
from tests.helpers import ROOT, run_gunicorn
from tests.integration.load import LoadBalancedClient, request

pytestmark = pytest.mark.integration
WORKERS = 3


def scrape(url) -> dict:
    status, text = request(url, "GET", "/metrics")
    assert status == 200
    return {f.name: f for f in text_string_to_metric_families(text)}


def request_count(families, exclude_route="/metrics") -> float:
    return sum(
        s.value
        for s in families["http_requests"].samples
        if s.name == "http_requests_total" and s.labels["route"] != exclude_route
    )


def served_pids(server, at_least: int = 1) -> set:
    """Pids in the access log, once it names `at_least` of them (the log file is read while
    workers may still be writing to it)."""
    lines = server.wait_for_access_lines(lambda ls: len({e["pid"] for e in ls}) >= at_least)
    return {entry["pid"] for entry in lines}


def send(url, calls, threads=8):
    """Send (method, path, body) calls concurrently; returns the statuses."""
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda c: request(url, *c)[0], calls))


def send_to_every_worker(server, calls):
    """Split the calls over the workers, each share served while the others are paused, so
    every worker provably answers some of them (the kernel alone may favour one worker)."""
    pids = server.worker_pids()
    assert len(pids) == WORKERS
    statuses = []
    for index, pid in enumerate(pids):
        with server.only_worker(pid):
            statuses += send(server.url, calls[index :: len(pids)])
    return statuses


def test_request_counter_is_exact_across_workers(predict_body):
    calls = (
        [("GET", "/healthz", None)] * 40
        + [("POST", "/api/v1/predict", predict_body)] * 60
        + [("GET", "/no-such-route", None)] * 15
        + [("POST", "/api/v1/predict", {"features": {}})] * 25
    )
    with run_gunicorn(workers=WORKERS) as server:
        statuses = send_to_every_worker(server, calls)
        assert statuses.count(200) == 100 and statuses.count(404) == 15
        assert statuses.count(400) == 25
        first = scrape(server.url)
        # /readyz polls by run_gunicorn's start-up count too: exclude them by route.
        readyz = sum(
            s.value
            for s in first["http_requests"].samples
            if s.name == "http_requests_total" and s.labels["route"] == "/readyz"
        )
        assert request_count(first) - readyz == len(calls)
        assert len(served_pids(server, at_least=WORKERS)) == WORKERS

        # A worker killed hard is replaced; its counts stay in the sum (no reset, no loss).
        victim = next(iter(served_pids(server)))
        os.kill(victim, signal.SIGKILL)
        time.sleep(1.5)
        families = scrape(server.url)
        assert request_count(families) - readyz == len(calls)
        assert families["gunicorn_workers"].samples[0].value == WORKERS


def test_a_chunked_body_is_read_as_a_whole(predict_body):
    # No Content-Length: the body arrives in chunks, and werkzeug must still read all of it.
    body = json.dumps(predict_body).encode()
    with run_gunicorn(workers=1) as server:
        connection = http.client.HTTPConnection("127.0.0.1", int(server.url.rsplit(":", 1)[1]))
        chunks = (body[i : i + 50] for i in range(0, len(body), 50))
        connection.request(
            "POST",
            "/api/v1/predict",
            body=chunks,
            headers={"Content-Type": "application/json"},
            encode_chunked=True,
        )
        response = connection.getresponse()
        answer = json.loads(response.read())
        connection.close()
    assert response.status == 200
    assert answer["prediction"].startswith("class_")


def test_sigterm_drains_without_losing_a_request(predict_body):
    drain, graceful = 3, 10
    env = {"DRAIN_SECONDS": str(drain), "GRACEFUL_TIMEOUT": str(graceful)}
    with run_gunicorn(workers=WORKERS, env=env) as server:
        # Every prediction takes 0.3 s, so requests are in flight when the drain starts.
        assert request(server.url, "POST", "/chaos/latency", {"seconds": 0.3})[0] == 200
        client = LoadBalancedClient(server.url, predict_body, threads=6).start()
        time.sleep(1.5)
        started = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        assert client.saw_not_ready.wait(timeout=drain + 2), "/readyz never answered 503"
        outcome = client.finish()
        server.proc.wait(timeout=drain + graceful + 10)
        took = time.monotonic() - started
    assert outcome.failures == []
    assert outcome.ok > 20
    assert server.proc.returncode == 0
    assert took < drain + graceful, f"exit took {took:.1f}s"
    assert took >= drain - 0.5, "the listener must stay open for the whole drain"


def test_every_request_gets_one_access_line_from_the_worker_that_served_it():
    with run_gunicorn(workers=WORKERS) as server:
        statuses = send_to_every_worker(server, [("GET", "/healthz", None)] * 60)
        assert statuses == [200] * 60
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=30) == 0
        healthz = [e for e in server.access_lines() if e["route"] == "/healthz"]
    assert len(healthz) == 60
    assert len({e["request_id"] for e in healthz}) == 60
    assert len({e["pid"] for e in healthz}) == WORKERS


def test_sighup_reload_under_load_loses_nothing(predict_body):
    with run_gunicorn(workers=WORKERS) as server:
        before = served_pids(server)
        client = LoadBalancedClient(server.url, predict_body, threads=6).start(
            watch_readiness=False
        )
        time.sleep(1.0)
        server.proc.send_signal(signal.SIGHUP)
        time.sleep(4.0)
        outcome = client.finish()
        after = {int(p) for p in served_pids(server)} - {int(p) for p in before}
        assert outcome.failures == []
        assert outcome.ok > 50
        assert after, "new workers should have served after the reload"
        assert server.proc.poll() is None


def test_a_chaos_toggle_reaches_every_worker(predict_body):
    with run_gunicorn(workers=WORKERS) as server:
        assert request(server.url, "POST", "/chaos/errors", {"rate": 1.0})[0] == 200
        predictions = [("POST", "/api/v1/predict", predict_body)] * 30
        assert set(send_to_every_worker(server, predictions)) == {500}
        workers = set(server.worker_pids())
        lines = server.wait_for_access_lines(
            lambda ls: {e["pid"] for e in ls if e["status"] == 500} >= workers
        )
        assert {e["pid"] for e in lines if e["status"] == 500} == workers
        assert request(server.url, "DELETE", "/chaos")[0] == 200
        assert set(send_to_every_worker(server, predictions)) == {200}
        request(server.url, "POST", "/chaos/readiness", {"ready": False})
        assert set(send_to_every_worker(server, [("GET", "/readyz", None)] * 30)) == {503}


def test_every_metric_and_label_of_the_contract(predict_body):
    contract = {
        "http_requests": ("counter", {"method", "route", "status"}),
        "http_request_duration_seconds": ("histogram", {"method", "route"}),
        "http_requests_in_flight": ("gauge", set()),
        "app_build_info": ("gauge", {"version", "git_sha"}),
        "model_predictions": ("counter", {"model_version", "predicted_class"}),
        "model_prediction_confidence": ("histogram", {"model_version"}),
        "model_input_bin": ("counter", {"feature", "bin"}),
        "model_active_info": ("gauge", {"model_version"}),
        "process_cpu_seconds": ("counter", set()),
        "process_resident_memory_bytes": ("gauge", set()),
        "gunicorn_workers": ("gauge", set()),
    }
    with run_gunicorn(workers=WORKERS, env={"GIT_SHA": "abc1234"}) as server:
        send(server.url, [("POST", "/api/v1/predict", predict_body)] * 10)
        families = scrape(server.url)
    for name, (kind, labels) in contract.items():
        assert name in families, f"{name} missing"
        assert families[name].type == kind, name
        label_sets = {frozenset(s.labels) - {"le"} for s in families[name].samples}
        assert frozenset(labels) in label_sets, f"{name}: {label_sets}"
    build = families["app_build_info"].samples[0]
    assert build.labels["git_sha"] == "abc1234" and build.value == 1
    assert families["gunicorn_workers"].samples[0].value == WORKERS
    # CPU and memory of the whole tree: more than one process's worth of memory.
    assert families["process_resident_memory_bytes"].samples[0].value > 30e6
    assert families["process_cpu_seconds"].samples[0].value > 0


def cpu_seconds(pid: int) -> float:
    """utime + stime of one live process, from /proc/<pid>/stat (fields 14 and 15)."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    fields = raw[raw.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_cpu_seconds_do_not_go_down_when_a_worker_is_killed(predict_body):
    """A killed worker's CPU time stays in process_cpu_seconds_total (a counter: a decrease
    would read as a reset, and rate() would draw a false spike)."""
    with run_gunicorn(workers=2) as server:
        victim, _ = server.worker_pids()
        with server.only_worker(victim):  # the victim spends CPU that must not be lost
            for _ in range(20):
                send(server.url, [("POST", "/api/v1/predict", predict_body)] * 100)
                if cpu_seconds(victim) >= 1.0:
                    break
        assert cpu_seconds(victim) >= 1.0, "the victim worker did not get busy enough"
        before = scrape(server.url)["process_cpu_seconds"].samples[0].value
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while len(pids := server.worker_pids()) != 2 or victim in pids:
            assert time.monotonic() < deadline, f"no new worker replaced {victim}: {pids}"
            time.sleep(0.2)
        server.wait_ready()
        after = scrape(server.url)["process_cpu_seconds"].samples[0].value
    assert after >= before, f"process_cpu_seconds_total went down: {before} -> {after}"


@pytest.mark.parametrize(
    ("variable", "value"), [("PORT", "eighty"), ("WEB_CONCURRENCY", "0"), ("APP_ENV", "prod")]
)
def test_a_bad_setting_stops_the_start_naming_the_variable(variable, value, tmp_path):
    env = {**os.environ, "HOST": "127.0.0.1", "TMPDIR": str(tmp_path), variable: value}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    started = subprocess.run(
        gunicorn_command(),  # how every start of the service is made
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode != 0
    assert f"invalid configuration: {variable}=" in started.stderr
    assert "Traceback" not in started.stderr
    assert not list(tmp_path.iterdir()), "the metrics directory it made must not stay behind"


def test_a_run_that_names_no_metrics_dir_removes_the_one_it_made(tmp_path):
    # `make run` names no PROMETHEUS_MULTIPROC_DIR: `python -m app` makes one in the temp
    # directory. It must serve the counters, outlive a reload, and go when the server stops.
    env = {"PROMETHEUS_MULTIPROC_DIR": None, "TMPDIR": str(tmp_path)}
    with run_gunicorn(env=env) as server:
        made = list(tmp_path.glob("lifecycle-lab-run-*"))
        assert len(made) == 1
        server.proc.send_signal(signal.SIGHUP)  # gunicorn reads its config file again
        deadline = time.monotonic() + 30
        while "Hang up" not in server.log() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "Hang up" in server.log(), "gunicorn did not take the HUP"
        assert request(server.url, "GET", "/healthz")[0] == 200
        assert list(tmp_path.glob("lifecycle-lab-run-*")) == made
        assert request_count(scrape(server.url)) >= 1
        assert list(made[0].glob("counter_*.db"))
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=30) == 0
    assert not made[0].exists()


@pytest.mark.parametrize("api_docs", ["true", "false"])
def test_the_server_says_where_to_look_once_ready(api_docs):
    # `make run` prints JSON lines; the URL to open is one of them, once /readyz answers.
    with run_gunicorn(env={"API_DOCS": api_docs}) as server:
        deadline = time.monotonic() + 30
        while "ready: serving at" not in server.log() and time.monotonic() < deadline:
            time.sleep(0.1)
        lines = [json.loads(line) for line in server.log().splitlines() if "ready: " in line]
    assert len(lines) == 1, server.log()
    expected = f"ready: serving at {server.url}/"
    if api_docs == "true":
        expected += f", API docs at {server.url}/docs/"
    assert lines[0]["event"] == expected

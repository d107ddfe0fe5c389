"""The monitoring stack for real: the app under gunicorn (2 workers), Prometheus running this
repository's rules, Alertmanager running its routing tree, the alert bridge, locust sending
traffic - all on loopback.

Prometheus and Alertmanager run this repository's own config files. The test changes only
what a test must: shorter intervals, loopback ports, where receivers post. The rules are
the files in monitoring/prometheus/rules/, read in place (rule_files point at them by
absolute path), so their thresholds and `for:` durations are the real ones.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from app.__main__ import wait_until_up
from tests.helpers import (
    ROOT,
    free_port,
    require_tool,
    run_gunicorn,
    run_locust,
    start_server,
    stop_server,
)

PROMETHEUS_DIR = ROOT / "monitoring" / "prometheus"
ALERTMANAGER_CONFIG = ROOT / "monitoring" / "alertmanager" / "alertmanager.yml"


def http_json(url: str, body: object | None = None, timeout: float = 10) -> object:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def wait_for(what: str, check: Callable[[], object], timeout: float, every: float = 0.5):
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except (urllib.error.URLError, OSError, KeyError, ValueError) as error:
            last_error = error
        time.sleep(every)
    raise AssertionError(
        f"timed out after {timeout}s waiting for {what} (last error: {last_error})"
    )


@contextlib.contextmanager
def serving(name: str, argv: list[str], workdir: Path, ready_url: str = "", env=None):
    """Run `argv` in `workdir` as a server until the block ends, once `ready_url` (if any)
    answers 200; a server that never does fails the test with its log."""
    log_path = workdir / f"{name}.log"
    proc = start_server(argv, log_path, cwd=workdir, env=env)
    try:
        if ready_url and (problem := wait_until_up(ready_url, proc, timeout=30)):
            log = log_path.read_text(errors="replace")[-4000:]
            raise AssertionError(f"{name} {problem}:\n{log}")
        yield
    finally:
        stop_server(proc)


class Prometheus:
    def __init__(self, url: str):
        self.url = url

    def query(self, promql: str) -> list[dict]:
        answer = http_json(f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": promql}))
        assert answer["status"] == "success", answer
        return answer["data"]["result"]

    def query_range(self, promql: str, start: float, end: float, step: str = "1s") -> list[dict]:
        """As Grafana runs an annotation query: over the dashboard's time range."""
        params = {"query": promql, "start": start, "end": end, "step": step}
        answer = http_json(f"{self.url}/api/v1/query_range?" + urllib.parse.urlencode(params))
        assert answer["status"] == "success", answer
        return answer["data"]["result"]

    def targets(self, job: str) -> list[dict]:
        answer = http_json(f"{self.url}/api/v1/targets")
        return [t for t in answer["data"]["activeTargets"] if t["labels"].get("job") == job]

    def wait_target_up(self, job: str, timeout: float = 60) -> list[dict]:
        return wait_for(
            f"{job} target up",
            lambda: [t for t in self.targets(job) if t["health"] == "up"],
            timeout,
        )


def prometheus_test_config(app_port: int, prometheus_port: int, alertmanager_port: int) -> dict:
    """monitoring/prometheus/prometheus.yml with test intervals and ports, same rule files."""
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    config["global"].update(scrape_interval="1s", evaluation_interval="1s")
    config["rule_files"] = [str(PROMETHEUS_DIR / pattern) for pattern in config["rule_files"]]
    targets = {"lifecycle-lab": app_port, "prometheus": prometheus_port}
    for job in config["scrape_configs"]:
        job["static_configs"] = [{"targets": [f"127.0.0.1:{targets[job['job_name']]}"]}]
    config["alerting"]["alertmanagers"] = [
        {"static_configs": [{"targets": [f"127.0.0.1:{alertmanager_port}"]}]}
    ]
    return config


@contextlib.contextmanager
def run_prometheus(config: dict, port: int):
    """Prometheus on loopback `port` with `config`; yields a Prometheus to query."""
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="lifecycle-lab-prometheus-") as name:
        workdir = Path(name)
        (workdir / "prometheus.yml").write_text(yaml.safe_dump(config))
        argv = [
            require_tool("prometheus"),
            f"--config.file={workdir / 'prometheus.yml'}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ]
        with serving("prometheus", argv, workdir, ready_url=f"{url}/-/ready"):
            yield Prometheus(url)


def alertmanager_test_config(webhook_urls: dict[str, str]) -> dict:
    """monitoring/alertmanager/alertmanager.yml: same tree, routes and inhibitions; webhook
    receivers post to the test's servers and every wait is 1 s instead of minutes."""
    config = yaml.safe_load(ALERTMANAGER_CONFIG.read_text())
    routes = [config["route"], *config["route"].get("routes", [])]
    for route in routes:
        for key in ("group_wait", "group_interval"):
            if key in route:
                route[key] = "1s"
    for receiver in config["receivers"]:
        for hook in receiver.get("webhook_configs", []):
            hook["url"] = webhook_urls[receiver["name"]]
    return config


@contextlib.contextmanager
def run_alertmanager(config: dict, port: int, chat_url: str):
    """Alertmanager in a temp working directory that holds secrets/chat-webhook-url."""
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="lifecycle-lab-alertmanager-") as name:
        workdir = Path(name)
        (workdir / "secrets").mkdir()
        (workdir / "secrets" / "chat-webhook-url").write_text(chat_url)
        (workdir / "alertmanager.yml").write_text(yaml.safe_dump(config))
        argv = [
            require_tool("prometheus-alertmanager"),
            f"--config.file={workdir / 'alertmanager.yml'}",
            f"--storage.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ]
        with serving("alertmanager", argv, workdir, ready_url=f"{url}/-/ready"):
            yield url


class Inbox:
    """A tiny HTTP server on loopback that keeps every JSON body posted to it."""

    def __init__(self, status: int = 200):
        self.bodies: list[tuple[str, dict]] = []
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                inbox.bodies.append((self.path, json.loads(raw or b"{}")))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def mentions(self, text: str) -> list[dict]:
        return [body for _, body in self.bodies if text in json.dumps(body)]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- the tests ------------------------------------------------------------------------------

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(240)]

# Delivery's rules and dashboard need deployments and an incident to have data: their own
# story is tests/integration/test_delivery_stack.py.
RULE_FILES = sorted(p for p in (PROMETHEUS_DIR / "rules").glob("*.yml") if p.stem != "delivery")
DASHBOARDS = sorted(
    p
    for p in (ROOT / "monitoring" / "grafana" / "dashboards").glob("*.json")
    if p.stem != "delivery"
)
DRIFTED_FEATURES = {"alcohol", "color_intensity", "proline", "hue"}  # ml/drift.py SHIFTS
# Panels that show an incident and are empty without one, and the locust mix that fills them.
INCIDENT_PANELS = {
    "Client errors (4xx) per route": "ChaosUser",
    "Server errors (5xx) per route": "ChaosUser",
    "Alerts pending or firing": "DriftUser",
}
# Grafana fills these in; the test gives them the values Grafana would ($namespace: "All",
# whose value is ".*" - this machine has no namespace label).
GRAFANA_VARIABLES = {"$__rate_interval": "30s", "$feature": "proline", "$namespace": ".*"}
ALL_DASHBOARDS = sorted((ROOT / "monitoring" / "grafana" / "dashboards").glob("*.json"))


def recording_rules() -> list[str]:
    names = []
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            names += [rule["record"] for rule in group["rules"] if "record" in rule]
    return names


def panel_queries(dashboards=DASHBOARDS) -> list[tuple[str, str, str]]:
    """(dashboard, panel title, PromQL) for every query of every panel of `dashboards`."""
    found = []
    for path in dashboards:
        dashboard = json.loads(path.read_text())
        for panel in dashboard["panels"]:
            for inner in [panel, *panel.get("panels", [])]:
                for target in inner.get("targets", []):
                    expr = target["expr"]
                    for variable, value in GRAFANA_VARIABLES.items():
                        expr = expr.replace(variable, value)
                    found.append((path.stem, inner["title"], expr))
    return found


def annotation_queries(dashboards=ALL_DASHBOARDS, step="1s") -> list[tuple[str, str, str]]:
    """(dashboard, annotation name, PromQL) for every Prometheus annotation of `dashboards`,
    as Grafana runs it in a range query of `step` (its $__interval)."""
    found = []
    for path in dashboards:
        for annotation in json.loads(path.read_text())["annotations"]["list"]:
            if "expr" in annotation:
                expr = annotation["expr"]
                for variable, value in {**GRAFANA_VARIABLES, "$__interval": step}.items():
                    expr = expr.replace(variable, value)
                found.append((path.stem, annotation["name"], expr))
    return found


def runbook_links(prometheus: Prometheus) -> dict[str, str]:
    """alertname -> the runbook link of its row in the SLOs dashboard's alert table, filled
    in from the table query's answer as Grafana fills in a data link."""
    dashboard = json.loads((ROOT / "monitoring/grafana/dashboards/slo.json").read_text())
    [panel] = [p for p in dashboard["panels"] if p["title"] == "Alerts pending or firing"]
    [target] = panel["targets"]
    [override] = panel["fieldConfig"]["overrides"]
    [[link]] = [p["value"] for p in override["properties"] if p["id"] == "links"]
    found = {}
    for row in prometheus.query(target["expr"].replace("$namespace", ".*")):
        url = link["url"]
        for name, value in row["metric"].items():
            url = url.replace(f"${{__data.fields.{name}}}", value)
        assert "${" not in url, (link["url"], row["metric"])
        found[row["metric"]["alertname"]] = url
    return found


class Stack:
    def __init__(self, app, prometheus, alertmanager_url, chat, github):
        self.app, self.prometheus = app, prometheus
        self.alertmanager_url, self.chat, self.github = alertmanager_url, chat, github


@pytest.fixture(scope="module")
def stack():
    require_tool("promtool")  # fail early and clearly in CI when the apt package is missing
    chat, github = Inbox(), Inbox(status=204)
    prometheus_port, alertmanager_port, bridge_port = free_port(), free_port(), free_port()
    bridge_argv = [
        sys.executable,
        str(ROOT / "scripts" / "alert_bridge.py"),
        "--listen",
        f"127.0.0.1:{bridge_port}",
    ]
    bridge_env = {
        **os.environ,
        "GITHUB_API_URL": github.url,
        "GITHUB_TOKEN": "test-token",
        "GITHUB_REPOSITORY": "student/lifecycle-lab",
    }
    am_config = alertmanager_test_config(
        {"retrain-bridge": f"http://127.0.0.1:{bridge_port}/alerts"}
    )
    try:
        with (
            tempfile.TemporaryDirectory(prefix="lifecycle-lab-bridge-") as bridge_dir,
            serving("bridge", bridge_argv, Path(bridge_dir), env=bridge_env),
            run_gunicorn(workers=2, env={"CHAOS_ENABLED": "true", "APP_ENV": "development"}) as app,
            run_alertmanager(am_config, alertmanager_port, f"{chat.url}/chat") as am_url,
        ):
            app_port = int(app.url.rsplit(":", 1)[1])
            config = prometheus_test_config(app_port, prometheus_port, alertmanager_port)
            with run_prometheus(config, prometheus_port) as prometheus:
                yield Stack(app, prometheus, am_url, chat, github)
    finally:
        chat.close()
        github.close()


def wait_for_inputs(prometheus: Prometheus, at_least: int) -> None:
    """Until Prometheus has scraped and evaluated `at_least` inputs of every feature."""
    wait_for(
        f"{at_least} inputs per feature in Prometheus",
        lambda: len(prometheus.query(f"feature:model_input:rate30m * 1800 >= {at_least}")) == 13,
        timeout=30,
    )
    time.sleep(3)  # a few more 1-second evaluations of the PSI and alert rules


def drift_alerts(prometheus: Prometheus) -> list[dict]:
    return prometheus.query('ALERTS{alertname="ModelInputDrift"}')


def test_the_monitoring_story(stack):
    """One story in four acts (a module-scoped stack, so the phases build on each other)."""
    prometheus = stack.prometheus

    # 1. The app is a target, and up.
    started = time.time()
    [target] = prometheus.wait_target_up("lifecycle-lab")
    assert target["scrapeUrl"] == f"{stack.app.url}/metrics"

    # 2. Reference traffic: every recording rule yields series, every ordinary panel has
    #    data, the drift index stays low and the drift alert stays silent.
    run_locust(stack.app.url, "NormalUser", 4, 16)
    wait_for_inputs(prometheus, at_least=200)
    for name in recording_rules():
        assert prometheus.query(name), f"recording rule {name} yields no series"
    psi = {
        s["metric"]["feature"]: float(s["value"][1])
        for s in prometheus.query("feature:model_input_psi:30m")
    }
    assert len(psi) == 13 and max(psi.values()) < 0.2, psi
    assert drift_alerts(prometheus) == []
    empty = [
        (dashboard, title, expr)
        for dashboard, title, expr in panel_queries()
        if title not in INCIDENT_PANELS and not prometheus.query(expr)
    ]
    assert empty == [], "panels without data under reference traffic"

    # 3. An error incident: 5xx burn the availability budget -> a real page, delivered by
    #    Prometheus -> Alertmanager -> the chat receiver (a Slack-compatible webhook).
    run_locust(stack.app.url, "ChaosUser", 4, 10, "--chaos-error-rate", "0.5")
    [notified] = wait_for(
        "AvailabilityBudgetBurnFast in the chat",
        lambda: stack.chat.mentions("AvailabilityBudgetBurnFast"),
        timeout=45,
    )
    # Its runbook link is absolute - the same link as its row of the dashboard's alert table.
    firing = http_json(f"{prometheus.url}/api/v1/alerts")["data"]["alerts"]
    [page] = [a for a in firing if a["labels"]["alertname"] == "AvailabilityBudgetBurnFast"]
    link = page["annotations"]["runbook_url"]
    assert link.startswith("https://") and link.endswith("/AvailabilityBudgetBurnFast.md"), link
    assert f"Runbook: {link}" in json.dumps(notified)
    links = runbook_links(prometheus)
    assert "AvailabilityBudgetBurnFast" in links, f"the alert table's links: {links}"
    assert links["AvailabilityBudgetBurnFast"] == link

    # 4. Drifted traffic: the drift alert goes pending - for exactly the shifted features.
    run_locust(stack.app.url, "DriftUser", 4, 20)
    pending = wait_for(
        "ModelInputDrift pending",
        lambda: (
            {a["metric"]["feature"] for a in drift_alerts(prometheus)} >= {"proline"}
            and {a["metric"]["feature"] for a in drift_alerts(prometheus)}
        ),
        timeout=30,
    )
    assert pending <= DRIFTED_FEATURES, pending
    assert {a["metric"]["alertstate"] for a in drift_alerts(prometheus)} == {"pending"}  # for: 15m

    empty = [(d, t, e) for d, t, e in panel_queries() if not prometheus.query(e)]
    assert empty == [], "panels without data even after the incidents"
    # Every dashboard marks the start of this commit, of this model version and the page,
    # over the time range of the story (as Grafana runs annotation queries).
    unmarked = [
        (dashboard, name, expr)
        for dashboard, name, expr in annotation_queries()
        if not prometheus.query_range(expr, started - 60, time.time(), step="1s")
    ]
    assert unmarked == [], "annotations that mark nothing"

    # 5. Delivery. A pending alert reaches Alertmanager only once its `for: 15m` is over -
    #    longer than a test may take. So the test hands Alertmanager the pending alert
    #    exactly as Prometheus reports it (labels and annotations), as Prometheus itself will
    #    do 15 minutes later. Alertmanager's routing sends it to the bridge (which dispatches
    #    to the fake GitHub API) and to the ticket chat.
    rules_view = http_json(f"{prometheus.url}/api/v1/alerts")["data"]["alerts"]
    drifted = [a for a in rules_view if a["labels"]["alertname"] == "ModelInputDrift"]
    # The drift keeps growing while the test runs: a shifted feature can go pending after the
    # snapshot above. The dispatch must name exactly the alerts handed over here.
    delivered = {a["labels"]["feature"] for a in drifted}
    assert pending <= delivered <= DRIFTED_FEATURES, (pending, delivered)
    http_json(
        f"{stack.alertmanager_url}/api/v2/alerts",
        [{"labels": a["labels"], "annotations": a["annotations"]} for a in drifted],
    )
    [(path, dispatch)] = wait_for("a repository_dispatch", lambda: stack.github.bodies, timeout=30)
    assert path == "/repos/student/lifecycle-lab/dispatches"
    assert dispatch["event_type"] == "drift-detected"
    assert set(dispatch["client_payload"]["features"]) == delivered
    wait_for(
        "the drift ticket in the chat", lambda: stack.chat.mentions("Input drift on feature"), 30
    )


def test_a_target_down_holds_back_the_symptoms_of_its_job(stack):
    """The inhibition rule, in the real Alertmanager: NoTraffic of a job whose target is
    down is suppressed; NoTraffic of another job is not."""

    def alert(name, job, severity, **labels):
        return {"labels": {"alertname": name, "job": job, "severity": severity, **labels}}

    http_json(
        f"{stack.alertmanager_url}/api/v2/alerts",
        [
            alert("TargetDown", "inhibit-a", "page", instance="a:8000"),
            alert("NoTraffic", "inhibit-a", "ticket"),
            alert("NoTraffic", "inhibit-b", "ticket"),
        ],
    )

    def states():
        found = http_json(f"{stack.alertmanager_url}/api/v2/alerts")
        return {
            (a["labels"]["alertname"], a["labels"]["job"]): a["status"]["state"]
            for a in found
            if a["labels"]["job"].startswith("inhibit-")
        }

    expected = {
        ("TargetDown", "inhibit-a"): "active",
        ("NoTraffic", "inhibit-a"): "suppressed",
        ("NoTraffic", "inhibit-b"): "active",
    }
    wait_for("the inhibition to apply", lambda: states() == expected, timeout=20)

"""The Delivery dashboard against a real Prometheus: four deployments of the app (three new
commits and a rollback) and one page-level incident, on loopback, with this repository's
rules (read in place) and 1-second intervals. Every Delivery panel must return data, and
the four keys must be the numbers worked out below.

The reference-traffic story of the other dashboards is tests/integration/test_monitoring_stack.py;
its helpers (Prometheus with the test intervals) are reused here; the traffic is locust's.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from tests.helpers import ROOT, free_port, require_tool, run_gunicorn, run_locust
from tests.integration.test_monitoring_stack import (
    panel_queries as dashboard_queries,
)
from tests.integration.test_monitoring_stack import (
    prometheus_test_config,
    run_prometheus,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(240)]

DASHBOARD = ROOT / "monitoring" / "grafana" / "dashboards" / "delivery.json"
# commit -> minutes between its commit time and the start of the lab; each is deployed
# within seconds of the start, so its lead time is those minutes plus a few seconds.
COMMITS = {"a000001": 40, "b000002": 30, "c000003": 20, "d000004": 10}


def panel_queries() -> list[tuple[str, str]]:
    """(panel title, PromQL) of every Delivery panel, read as the other dashboards are."""
    return [(title, expr) for _, title, expr in dashboard_queries([DASHBOARD])]


def dora_windows() -> dict[str, list[str]]:
    """Title -> the PromQL of its 24-hour, 7-day and 30-day values, for each of the Delivery
    dashboard's four keys (All environments, as Grafana fills in $namespace)."""
    dashboard = json.loads(DASHBOARD.read_text())
    return {
        panel["title"]: [t["expr"].replace("$namespace", ".*") for t in panel["targets"]]
        for panel in dashboard["panels"]
        if [t["legendFormat"].split(" ", 1)[-1] for t in panel.get("targets", [])]
        == ["24 h", "7 d", "30 d"]
    }


def value(prometheus, promql: str) -> float:
    [sample] = prometheus.query(promql)
    return float(sample["value"][1])


def test_four_deployments_a_rollback_and_an_incident_fill_the_delivery_dashboard():
    require_tool("promtool")
    app_port, prometheus_port = free_port(), free_port()
    started = time.time()
    config = prometheus_test_config(app_port, prometheus_port, free_port())  # no Alertmanager

    def deploy(sha: str):
        commit_time = datetime.fromtimestamp(started - COMMITS[sha] * 60, UTC).isoformat()
        env = {"GIT_SHA": sha, "GIT_COMMIT_TIME": commit_time, "CHAOS_ENABLED": "true"}
        return run_gunicorn(port=app_port, env=env)

    def seen(prometheus, sha: str) -> None:
        wait_for(
            f"{sha} in namespace:app_commit_timestamp_seconds:max",
            lambda: prometheus.query(
                "namespace:app_commit_timestamp_seconds:max == on (job) "
                f'max by (job) (app_commit_timestamp_seconds{{git_sha="{sha}"}})'
            ),
            timeout=30,
        )

    with run_prometheus(config, prometheus_port) as prometheus:
        for sha in ("a000001", "b000002", "c000003"):
            with deploy(sha):
                seen(prometheus, sha)
        with deploy("d000004") as app:
            seen(prometheus, "d000004")
            # d is bad: every API request fails for 4 s -> AvailabilityBudgetBurnFast pages.
            run_locust(app.url, "ChaosUser", 1, 8, "--chaos-error-rate", "1")
            wait_for(
                "a page-level incident",
                lambda: prometheus.query("namespace_incident_start:alerts_page_firing_seconds:max"),
                timeout=45,
            )
            during = {title for title, expr in panel_queries() if prometheus.query(expr)}
            # Good traffic brings the error share under the 6x window's 3 %: restored.
            run_locust(app.url, "NormalUser", 20, 30)
            wait_for(
                "the incident to resolve",
                lambda: not prometheus.query("namespace:alerts_page_firing:max"),
                timeout=60,
            )
        with deploy("c000003"):  # the rollback
            seen(prometheus, "c000003")
            time.sleep(2)  # two more evaluations of the 24-hour rules
            after = {title for title, expr in panel_queries() if prometheus.query(expr)}

            # a -> b -> c -> d -> c: four deployments (the rollback counts), one rollback.
            assert value(prometheus, "namespace:app_deployments:changes1d") == 4
            assert value(prometheus, "namespace:app_rollbacks:resets1d") == 1
            # d paged and was rolled back within the hour: one failure (not two), 1/4.
            assert value(prometheus, "namespace:app_failed_deployments:count1d") == 1
            assert value(prometheus, "namespace:app_change_failure:ratio1d") == 0.25
            # Lead times 40, 30, 20, 10 min (+ seconds): median (20 + 30) / 2 = 25 min.
            median = value(prometheus, "namespace:app_lead_time_seconds:median1d")
            assert 25 * 60 <= median < 25 * 60 + 60, median
            assert value(prometheus, "namespace:alerts_page_incidents:count1d") == 1
            restore = value(prometheus, "namespace:alerts_page_time_to_restore_seconds:median1d")
            assert 0 < restore < time.time() - started, restore
            # The dashboard computes the 7- and 30-day keys in its panels from the same
            # recorded series; with every event inside the last 24 hours they must say what
            # the 24-hour rules say (deployment frequency is per day: 4, 4/7, 4/30).
            keys = dora_windows()
            assert len(keys) == 4, keys
            for title, (day, week, month) in keys.items():
                days = (7, 30) if "per day" in title else (1, 1)
                expected = pytest.approx(value(prometheus, day))
                assert value(prometheus, week) * days[0] == expected, title
                assert value(prometheus, month) * days[1] == expected, title

    empty = [title for title, _ in panel_queries() if title not in during | after]
    assert empty == [], "Delivery panels without data"

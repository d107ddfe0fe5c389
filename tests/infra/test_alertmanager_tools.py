"""Alertmanager's config through amtool: check-config, and its routing tree case by case.
(Its agreement with the rules, the bridge and the workflow: tests/contract/.)"""

import subprocess

import pytest

from tests.contract.test_monitoring_alertmanager import CONFIG
from tests.helpers import require_tool


def amtool(*args):
    return subprocess.run(
        [require_tool("amtool"), *args], capture_output=True, text=True, timeout=60
    )


def test_amtool_accepts_the_config():
    result = amtool("check-config", str(CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


ROUTES = [
    # (labels of an alert, receivers that get it, in order)
    ({"alertname": "TargetDown", "severity": "page"}, "chat-page"),
    ({"alertname": "AvailabilityBudgetBurnFast", "severity": "page"}, "chat-page"),
    ({"alertname": "LatencyBudgetBurnSlow", "severity": "ticket"}, "chat-tickets"),
    ({"alertname": "NoTraffic", "severity": "ticket"}, "chat-tickets"),
    # drift goes to the retraining bridge AND to the people (continue: true)
    (
        {"alertname": "ModelInputDrift", "severity": "ticket", "feature": "proline"},
        "retrain-bridge,chat-tickets",
    ),
    # an alert someone forgot to give a severity still reaches a human
    ({"alertname": "SomethingNew"}, "chat-tickets"),
]


@pytest.mark.parametrize(("labels", "receivers"), ROUTES, ids=[r[0]["alertname"] for r in ROUTES])
def test_routes(labels, receivers):
    pairs = [f"{key}={value}" for key, value in labels.items()]
    result = amtool(
        "config",
        "routes",
        "test",
        f"--config.file={CONFIG}",
        f"--verify.receivers={receivers}",
        *pairs,
    )
    assert result.returncode == 0, result.stdout + result.stderr

"""Alertmanager's config held against the rules, the alert bridge and the retraining workflow
(Python only). amtool checks the config and its routing tree in
tests/infra/test_alertmanager_tools.py."""

import re

import yaml

from scripts import alert_bridge as bridge
from tests.contract.test_monitoring_rules import ALERTS
from tests.helpers import ROOT

CONFIG = ROOT / "monitoring" / "alertmanager" / "alertmanager.yml"


def test_every_rule_alert_is_routed_by_its_severity():
    """Each severity the rules use has its own route: none falls through by accident."""
    config = yaml.safe_load(CONFIG.read_text())
    routed = {
        matcher.split("=", 1)[1].strip('"')
        for route in config["route"]["routes"]
        for matcher in route.get("matchers", [])
        if matcher.startswith("severity=")
    }
    assert {rule["labels"]["severity"] for rule in ALERTS} == routed


def test_alert_names_in_the_config_exist_in_the_rules():
    names = {rule["alert"] for rule in ALERTS}
    mentioned = set(re.findall(r"alertname[!=~]+\"([^\"]+)\"", CONFIG.read_text()))
    for pattern in mentioned:
        for name in pattern.split("|"):
            assert name in names, f"alertmanager.yml names {name}, no rule defines it"


def test_inhibition_sources_carry_the_label_it_compares():
    config = yaml.safe_load(CONFIG.read_text())
    by_name = {rule["alert"]: rule for rule in ALERTS}
    for inhibit in config["inhibit_rules"]:
        [source] = inhibit["source_matchers"]
        for name in re.search(r'"(.+)"', source).group(1).split("|"):
            # `job` comes from the expression: the up{job=...} selector (or absent()'s labels)
            assert 'job="lifecycle-lab"' in by_name[name]["expr"]
        assert inhibit["equal"] == ["job", "namespace"]


def test_the_drift_receiver_posts_to_the_bridge():
    config = yaml.safe_load(CONFIG.read_text())
    [receiver] = [r for r in config["receivers"] if r["name"] == "retrain-bridge"]
    assert receiver["webhook_configs"][0]["url"] == f"http://{bridge.DEFAULT_LISTEN}/alerts"

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "retrain.yml").read_text())
    triggers = workflow.get("on") or workflow.get(True)  # YAML 1.1 reads `on` as true
    assert bridge.EVENT_TYPE in triggers["repository_dispatch"]["types"]


def test_no_secret_in_the_config():
    text = CONFIG.read_text()
    assert "hooks.slack.com" not in text and "api_url:" not in text
    assert "api_url_file: secrets/chat-webhook-url" in text

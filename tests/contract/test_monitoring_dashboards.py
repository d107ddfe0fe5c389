"""Grafana dashboards: parsed by Grafana's foundation SDK, wired to the provisioned
datasource only, and readable at a glance: thresholds that are the SLO and alert values (read
from the rules), a unit on every number, an environment variable, deployment annotations,
links, DORA tiers, windows that every shipped Prometheus keeps. (The integration tests run
every panel and annotation query against a real Prometheus.)"""

import json
import re

import pytest
import yaml
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models import prometheus
from grafana_foundation_sdk.models.dashboard import Dashboard, Panel, RowPanel

from tests.contract.test_monitoring_rules import (
    ALERT_NAMES,
    ALERTS,
    LINKS_RULE,
    RUNBOOK_PATH,
    repository_url,
    rules,
    runbook_url,
)
from tests.helpers import ROOT

GRAFANA = ROOT / "monitoring" / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))

register_default_plugins()  # without it, panel options and queries stay untyped dicts


def provisioned_uid() -> str:
    document = yaml.safe_load(
        (GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )
    [datasource] = document["datasources"]
    assert datasource["type"] == "prometheus"
    return datasource["uid"]


def parse(path) -> Dashboard:
    return Dashboard.from_json(json.loads(path.read_text()))


def panels(dashboard: Dashboard) -> list[Panel]:
    found = []
    for panel in dashboard.panels or []:
        if isinstance(panel, RowPanel):
            found.extend(panel.panels or [])
        else:
            found.append(panel)
    return found


def test_the_four_dashboards_exist():
    assert {p.stem for p in DASHBOARDS} == {"service", "slo", "model", "delivery"}


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_dashboard_parses_with_typed_panels_and_prometheus_queries(path):
    dashboard = parse(path)
    assert dashboard.uid and dashboard.title
    found = panels(dashboard)
    assert len(found) >= 5
    for panel in found:
        # A registered panel plugin decodes its options into its own class; an unknown panel
        # type would leave a plain dict.
        assert not isinstance(panel.options, dict), f"{panel.title}: unknown type {panel.type}"
        assert panel.targets, f"{panel.title}: no query"
        for target in panel.targets:
            assert isinstance(target, prometheus.Dataquery), f"{panel.title}: not a PromQL query"
            assert target.expr.strip()


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_dashboard_uses_only_the_provisioned_datasource(path):
    uid = provisioned_uid()
    text = path.read_text()
    assert "${DS_" not in text and "__inputs" not in text  # import placeholders break provisioning
    dashboard = parse(path)
    for panel in panels(dashboard):
        assert (panel.datasource.type_val, panel.datasource.uid) == ("prometheus", uid), panel.title
        for target in panel.targets:
            ref = target.datasource  # the Prometheus query model keeps it as a plain dict
            assert (ref["type"], ref["uid"]) == ("prometheus", uid), panel.title
    for variable in dashboard.templating.list_val or []:
        if variable.datasource is not None:
            assert variable.datasource.uid == uid, variable.name


def test_dashboard_uids_are_unique():
    uids = [parse(path).uid for path in DASHBOARDS]
    assert len(set(uids)) == len(uids)


def test_the_provider_loads_the_dashboards_folder():
    document = yaml.safe_load(
        (GRAFANA / "provisioning" / "dashboards" / "lifecycle-lab.yml").read_text()
    )
    [provider] = document["providers"]
    assert provider["type"] == "file" and provider["options"]["path"]
    assert provider["allowUiUpdates"] is False  # the repository is the source of truth


# --- what a viewer reads at a glance (issue 28) ----------------------------------------------


NUMERIC = {"stat", "gauge", "bargauge", "timeseries"}
COLOURED = {"stat", "gauge", "bargauge"}  # Grafana colours their value by thresholds
NEUTRAL = "text"  # the one colour of a value that is never good or bad (a version, an uptime)
RETENTION_FLAG = re.compile(r"--storage\.tsdb\.retention\.time=(\d+[smhdwy])")


def raw(path) -> dict:
    return json.loads(path.read_text())


def raw_panels(dashboard: dict) -> list[dict]:
    return [
        inner
        for panel in dashboard["panels"]
        for inner in [panel, *panel.get("panels", [])]
        if inner["type"] != "row"
    ]


def by_title(stem: str, title: str) -> dict:
    [panel] = [
        p for p in raw_panels(raw(GRAFANA / "dashboards" / f"{stem}.json")) if p["title"] == title
    ]
    return panel


def threshold_values(panel: dict) -> list[float]:
    steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
    return [step["value"] for step in steps[1:]]


def seconds(duration: str) -> float:
    """A Prometheus duration (30d, 6h, 5m) in seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([smhdwy])", duration))


def slo_numbers() -> dict:
    """The SLO objectives and burn factors as the rules state them."""
    record = {rule["record"]: rule["expr"] for rule in rules() if "record" in rule}
    alert = {rule["alert"]: rule["expr"] for rule in ALERTS}
    factors = lambda expr: sorted(  # noqa: E731
        {float(f) for f in re.findall(r"\(([\d.]+) \* \(1 - slo:", expr)}
        | ({1.0} if re.search(r"> on \(\) group_left \(\) \(1 - slo:", expr) else set())
    )
    return {
        "availability": float(
            re.search(r"vector\(([\d.]+)\)", record["slo:availability_objective:ratio"])[1]
        ),
        "latency": float(
            re.search(r"vector\(([\d.]+)\)", record["slo:latency_objective:ratio"])[1]
        ),
        "latency_threshold": float(
            re.search(r'le="([\d.]+)"', record["job:slo_latency_slow:ratio_rate5m"])[1]
        ),
        "fast_burn": factors(alert["AvailabilityBudgetBurnFast"]),
        "all_burn": sorted(
            set(factors(alert["AvailabilityBudgetBurnFast"]))
            | set(factors(alert["AvailabilityBudgetBurnSlow"]))
        ),
        "p99_alert": float(re.search(r"> ([\d.]+)", alert["HighP99Latency"])[1]),
        "psi_alert": float(re.search(r"> ([\d.]+)", alert["ModelInputDrift"])[1]),
    }


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_every_stat_and_gauge_states_its_meaning_in_colour(path):
    """Without thresholds Grafana colours green, then red from 80 - whatever the unit."""
    for panel in raw_panels(raw(path)):
        if panel["type"] in COLOURED:
            thresholds = panel["fieldConfig"]["defaults"].get("thresholds")
            assert thresholds and thresholds["steps"], f"{panel['title']}: no thresholds"
            assert thresholds["mode"] == "absolute", panel["title"]
            colours = [step["color"] for step in thresholds["steps"]]
            # one neutral step, or colours that mean something (not the default green-red 80)
            assert colours == [NEUTRAL] or NEUTRAL not in colours, panel["title"]
            assert colours != ["green", "red"] or threshold_values(panel) != [80], panel["title"]
            assert panel.get("description"), f"{panel['title']}: say what the colours mean"


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_every_numeric_panel_has_a_unit(path):
    for panel in raw_panels(raw(path)):
        if panel["type"] in NUMERIC:
            assert panel["fieldConfig"]["defaults"].get("unit"), f"{panel['title']}: no unit"


def test_thresholds_are_the_slo_and_alert_values():
    slo = slo_numbers()
    availability_budget = 1 - slo["availability"]
    latency_budget = 1 - slo["latency"]
    near = lambda a, b: [pytest.approx(x) for x in b] == a  # noqa: E731
    # Service: the error ratio turns orange at the budget, red at the fast-burn page.
    for title in ("API error ratio", "Error ratio (5xx) per route"):
        values = threshold_values(by_title("service", title))
        assert near(values, [availability_budget, max(slo["fast_burn"]) * availability_budget]), (
            title
        )
    latency = threshold_values(by_title("service", "Latency p50 / p90 / p99 per route"))
    assert near(latency, [slo["latency_threshold"], slo["p99_alert"]])
    # SLOs: green from the objective; burn-rate lines at the alerts' factors; budget lines.
    assert near(threshold_values(by_title("slo", "Availability, 30 days")), [slo["availability"]])
    assert near(threshold_values(by_title("slo", "Within 0.25 s, 30 days")), [slo["latency"]])
    assert (
        f"{slo['latency_threshold']} s" in by_title("slo", "Within 0.25 s, 30 days")["description"]
    )
    for title in ("Availability burn rate", "Latency burn rate"):
        assert near(threshold_values(by_title("slo", title)), slo["all_burn"]), title
    sli = "Availability SLI (bad share) per window"
    assert near(threshold_values(by_title("slo", sli)), [availability_budget])
    sli = "Latency SLI (slow share) per window"
    assert near(threshold_values(by_title("slo", sli)), [latency_budget])
    # Model: the drift alert's PSI threshold; skew from the second version.
    assert (
        threshold_values(by_title("model", "Input drift (PSI) per feature"))[-1] == slo["psi_alert"]
    )
    assert threshold_values(by_title("model", "Versions serving")) == [2]


# DORA's performance tiers, 2023 Accelerate State of DevOps Report: the boundaries between
# elite, high, medium and low (ascending values; deployment frequency per day, low first).
DAY, WEEK, MONTH = 86400, 604800, 2592000
DORA_2023 = {
    "Deployment frequency (per day)": [1 / 30, 1 / 7, 1],
    "Lead time for changes (median)": [DAY, WEEK, MONTH],
    "Change failure rate": [0.05, 0.10, 0.15],
    "Time to restore (median)": [3600, DAY, WEEK],
}


@pytest.mark.parametrize("title", DORA_2023)
def test_each_dora_key_is_coloured_by_its_tier_over_three_windows(title):
    panel = by_title("delivery", title)
    assert threshold_values(panel) == [pytest.approx(v) for v in DORA_2023[title]]
    colours = [step["color"] for step in panel["fieldConfig"]["defaults"]["thresholds"]["steps"]]
    assert set(colours) == {"dark-green", "green", "orange", "red"}
    assert "2023" in panel["description"] and "State of DevOps" in panel["description"]
    windows = [target["legendFormat"].split()[-2:] for target in panel["targets"]]
    assert windows == [["24", "h"], ["7", "d"], ["30", "d"]]
    assert all(target["instant"] for target in panel["targets"])


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_every_dashboard_shows_one_environment_or_really_all(path):
    dashboard = raw(path)
    [variable] = [v for v in dashboard["templating"]["list"] if v["name"] == "namespace"]
    assert variable["type"] == "query" and "namespace" in variable["definition"]
    # Grafana's own "All" joins the values it found: series without a namespace label (a VM,
    # this machine) would drop out. ".*" matches every series, with or without one.
    assert variable["includeAll"] is True and variable["allValue"] == ".*"
    assert variable["multi"] is False  # one environment, or all
    queries = [t["expr"] for p in raw_panels(dashboard) for t in p["targets"]]
    queries += [a["expr"] for a in dashboard["annotations"]["list"] if "expr" in a]
    for expr in queries:
        for selector in re.findall(r"\{[^}]*job=\"lifecycle-lab\"[^}]*\}", expr):
            assert 'namespace=~"$namespace"' in selector, expr


# The annotations each dashboard marks its graphs with, and a series each one must read.
ANNOTATIONS = {
    "Deployments": "app_build_info",
    "Model versions": "model_active_info",
    "Pages": 'severity="page"',
}


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_every_dashboard_marks_deployments_model_versions_and_pages(path):
    uid = provisioned_uid()
    found = {a["name"]: a for a in raw(path)["annotations"]["list"] if "expr" in a}
    assert set(found) >= set(ANNOTATIONS), f"missing: {set(ANNOTATIONS) - set(found)}"
    for name, series in ANNOTATIONS.items():
        annotation = found[name]
        assert annotation["enable"] is True and annotation["datasource"]["uid"] == uid, name
        assert series in annotation["expr"], name
        assert annotation["titleFormat"], name
    # Grafana runs an annotation as a range query whose step grows with the time range: "new
    # since one step ago" marks each change exactly once at any range (a fixed offset shorter
    # than the step would miss some).
    for name in ("Deployments", "Model versions"):
        assert found[name]["expr"].endswith(" offset $__interval)"), name
    assert "{{git_sha}}" in found["Deployments"]["titleFormat"]
    assert "{{model_version}}" in found["Model versions"]["titleFormat"]


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_dashboards_link_to_each_other_keeping_time_and_environment(path):
    dashboard = raw(path)
    assert "lifecycle-lab" in dashboard["tags"]
    [link] = [link for link in dashboard["links"] if link["type"] == "dashboards"]
    assert link["tags"] == ["lifecycle-lab"] and link["asDropdown"] is True
    assert link["keepTime"] is True and link["includeVars"] is True


def test_slo_panels_link_to_the_service_dashboard():
    uids = {raw(path)["uid"]: path.stem for path in DASHBOARDS}
    linked = 0
    for panel in raw_panels(raw(GRAFANA / "dashboards" / "slo.json")):
        if panel["type"] == "table":
            continue
        [link] = panel.get("links") or [None]
        assert link, f"{panel['title']}: no link to the Service dashboard"
        uid = re.match(r"/d/([^/?]+)", link["url"])[1]
        assert uids.get(uid) == "service", link["url"]
        assert "${__url_time_range}" in link["url"] and "${namespace:queryparam}" in link["url"]
        linked += 1
    assert linked >= 8


def test_the_alerts_table_lists_every_alert_with_its_runbook():
    panel = by_title("slo", "Alerts pending or firing")
    [target] = panel["targets"]
    # one row per alert (a table of an instant query), not one alert at a time
    assert target["format"] == "table" and target["instant"] is True
    assert target["expr"].startswith("ALERTS{") and LINKS_RULE in target["expr"]
    [override] = [
        o for o in panel["fieldConfig"]["overrides"] if o["matcher"]["options"] == "alertname"
    ]
    [links] = [p["value"] for p in override["properties"] if p["id"] == "links"]
    [link] = links
    # The link, filled in as Grafana does from a row, is the alert's own runbook_url.
    for name in ALERT_NAMES:
        url = link["url"].replace("${__data.fields.url}", repository_url())
        assert url.replace("${__data.fields.alertname}", name) == runbook_url(name)
        assert (ROOT / RUNBOOK_PATH.format(name=name).split("/main/", 1)[1]).is_file()


def retentions() -> dict[str, float]:
    """The retention of every Prometheus this repository ships, in seconds."""
    k8s = (ROOT / "k8s" / "monitoring" / "prometheus.yaml").read_text()
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())
    demo = (ROOT / "scripts" / "demo.py").read_text()
    found = {}
    for name, text in (
        ("k8s/monitoring/prometheus.yaml", k8s),
        ("docker/compose.yaml", " ".join(compose["services"]["prometheus"].get("command", []))),
        ("scripts/demo.py", demo),
    ):
        [retention] = RETENTION_FLAG.findall(text) or ["15d"]  # Prometheus' default
        found[name] = seconds(retention)
    return found


def windows_in_use() -> dict[str, float]:
    """Every range of every rule and dashboard query, and every dashboard's default range."""
    found = {}
    texts = {
        path.name: path.read_text()
        for path in (ROOT / "monitoring" / "prometheus" / "rules").glob("*.yml")
    }
    texts |= {path.name: path.read_text() for path in DASHBOARDS}
    for name, text in texts.items():
        for window in re.findall(r"\[(\d+[smhdwy])\]", text):
            found[f"{name} [{window}]"] = seconds(window)
    for path in DASHBOARDS:
        start = raw(path)["time"]["from"]
        found[f"{path.name} from {start}"] = seconds(start.removeprefix("now-"))
    return found


def test_every_window_fits_in_every_shipped_retention():
    """A '30 days' over 2 days of data would lie: every shipped Prometheus keeps the longest
    window that a rule or dashboard reads."""
    longest = max(windows_in_use().values())
    assert longest >= 30 * DAY  # the SLO period is in use
    for name, retention in retentions().items():
        assert retention >= longest, (
            f"{name} keeps {retention / DAY} days, a window needs {longest / DAY}"
        )


def test_default_ranges_suit_each_dashboard():
    start = {
        path.stem: seconds(raw(path)["time"]["from"].removeprefix("now-")) for path in DASHBOARDS
    }
    slow_burn = max(seconds(w) for w in re.findall(r"ratio_rate(\d+[dh])", str(list(rules()))))
    assert start["service"] <= 3600  # minutes
    assert start["slo"] >= slow_burn  # days: the slow-burn window fits on the graphs
    assert start["delivery"] >= 7 * DAY  # weeks

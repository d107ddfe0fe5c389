"""Grafana dashboards: parsed by Grafana's foundation SDK, wired to the provisioned
datasource only. (The integration test runs every panel query against a real Prometheus.)"""

import json

import pytest
import yaml
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models import prometheus
from grafana_foundation_sdk.models.dashboard import Dashboard, Panel, RowPanel

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

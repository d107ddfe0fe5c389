"""Prometheus configs, rules and their promtool tests, held to the project's rules (Python only):
every alert is complete and has a runbook, fires in one test case and stays silent in
another; every recording rule has a value check. promtool itself runs in
tests/infra/test_prometheus_tools.py."""

import re

import pytest
import yaml

from tests.helpers import ROOT

PROMETHEUS_DIR = ROOT / "monitoring" / "prometheus"
RULE_FILES = sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))
TEST_FILES = sorted((PROMETHEUS_DIR / "tests").glob("*.yml"))
RUNBOOKS = ROOT / "docs" / "runbooks"
SEVERITIES = {"page", "ticket"}


def rules():
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            yield from group["rules"]


ALERTS = [rule for rule in rules() if "alert" in rule]
RECORDS = sorted({rule["record"] for rule in rules() if "record" in rule})
ALERT_NAMES = sorted({rule["alert"] for rule in ALERTS})


def test_there_is_something_to_check():
    assert len(RULE_FILES) >= 4 and len(TEST_FILES) >= 4 and len(ALERTS) >= 10


def test_kubernetes_config_reads_the_same_rules_and_job():
    local = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    k8s = yaml.safe_load((PROMETHEUS_DIR / "prometheus-k8s.yml").read_text())
    assert k8s["rule_files"] == local["rule_files"]
    jobs = lambda cfg: {job["job_name"] for job in cfg["scrape_configs"]}  # noqa: E731
    assert "lifecycle-lab" in jobs(local) and jobs(k8s) == jobs(local)


@pytest.mark.parametrize("alert", ALERTS, ids=lambda rule: rule["alert"])
def test_every_alert_is_complete(alert):
    assert alert["labels"]["severity"] in SEVERITIES
    for key in ("summary", "description", "runbook_url"):
        assert alert["annotations"].get(key, "").strip(), f"{alert['alert']}: no {key}"
    assert alert["annotations"]["runbook_url"] == runbook_url_template(alert["alert"])


# Runbook links are absolute (clickable in a chat notification), built from the repository
# URL set once in rules/links.yml; the SLOs dashboard builds its links the same way.
LINKS_RULE = "lifecycle_lab_repository_info"
RUNBOOK_PATH = "/blob/main/docs/runbooks/{name}.md"


def repository_url() -> str:
    [rule] = [rule for rule in rules() if rule.get("record") == LINKS_RULE]
    return rule["labels"]["url"]


def runbook_url_template(name: str) -> str:
    """An alert's runbook_url as written in its rule (the folded YAML joins with a space,
    which the template's `-}}` trims)."""
    return (
        f'{{{{ with query "{LINKS_RULE}" }}}}{{{{ . | first | label "url" }}}}{{{{ end -}}}} '
        + RUNBOOK_PATH.format(name=name)
    )


def runbook_url(name: str) -> str:
    """What Prometheus renders from runbook_url_template(name)."""
    return repository_url() + RUNBOOK_PATH.format(name=name)


def test_the_repository_url_is_set_once_and_the_other_copies_agree():
    url = repository_url()
    assert url.startswith("https://") and not url.endswith("/")
    contact_links = yaml.safe_load((ROOT / ".github" / "ISSUE_TEMPLATE" / "config.yml").read_text())
    for link in contact_links["contact_links"]:
        if "github.com" in link["url"] and "docs.github.com" not in link["url"]:
            assert link["url"].startswith(url + "/"), link
    for path in RULE_FILES:
        if path.stem != "links":
            assert url not in path.read_text(), f"{path.name} copies the repository URL"


def test_runbooks_and_alerts_match_one_to_one():
    pages = {path.stem for path in RUNBOOKS.glob("*.md") if path.name != "README.md"}
    assert pages == set(ALERT_NAMES), "a runbook without alert, or an alert without runbook"
    index = (RUNBOOKS / "README.md").read_text()
    for name in ALERT_NAMES:
        assert f"({name}.md)" in index, f"docs/runbooks/README.md does not link {name}"


def promtool_cases():
    for path in TEST_FILES:
        document = yaml.safe_load(path.read_text())
        for case in document["tests"]:
            yield document, case


def test_every_rule_file_is_unit_tested():
    tested = {
        (PROMETHEUS_DIR / "tests" / name).resolve()
        for document, _ in promtool_cases()
        for name in document["rule_files"]
    }
    assert tested == {path.resolve() for path in RULE_FILES}


def test_every_alert_fires_in_one_case_and_stays_silent_in_another():
    fires, silent = set(), set()
    for _, case in promtool_cases():
        for check in case.get("alert_rule_test", []):
            (fires if check.get("exp_alerts") else silent).add(check["alertname"])
    assert fires == set(ALERT_NAMES), f"never shown firing: {set(ALERT_NAMES) - fires}"
    assert silent == set(ALERT_NAMES), f"never shown silent: {set(ALERT_NAMES) - silent}"


def test_every_recording_rule_has_a_value_check():
    checked = set()
    for _, case in promtool_cases():
        for check in case.get("promql_expr_test", []):
            if check.get("exp_samples"):
                checked.update(
                    name for name in RECORDS if re.search(rf"\b{re.escape(name)}\b", check["expr"])
                )
    assert set(RECORDS) <= checked, f"no value check for {set(RECORDS) - checked}"


def test_the_local_scrape_target_is_the_apps_default_port():
    from app.config import Settings

    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    [job] = [job for job in config["scrape_configs"] if job["job_name"] == "lifecycle-lab"]
    [target] = job["static_configs"][0]["targets"]
    assert target == f"127.0.0.1:{Settings.from_env({}).port}"


def test_the_local_prometheus_reads_the_targets_the_podman_deploys_write():
    """scripts/deploy_podman.sh writes each environment's scrape target to
    $RELEASE_DIR/targets/<namespace>.json; prometheus.yml must look in that very folder, the
    one RELEASE_DIR names by default (mk/release.mk)."""
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    [job] = [job for job in config["scrape_configs"] if job["job_name"] == "lifecycle-lab"]
    [discovery] = job["file_sd_configs"]
    [pattern] = discovery["files"]
    release_mk = (ROOT / "mk" / "release.mk").read_text()
    [release_dir] = re.findall(r"^RELEASE_DIR\s*\?=\s*\$\(CURDIR\)/(\S+)$", release_mk, re.M)
    assert (PROMETHEUS_DIR / pattern).resolve() == ROOT / release_dir / "targets" / "*.json"
    deploy = (ROOT / "scripts" / "deploy_podman.sh").read_text()
    assert 'target_file="${RELEASE_DIR:?}/targets/$namespace.json"' in deploy

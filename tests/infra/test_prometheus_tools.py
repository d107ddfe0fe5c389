"""Prometheus configs, rules and their unit tests through promtool (check config, check rules,
test rules). The project's own rules about them are in tests/contract/test_monitoring_rules.py."""

import json
import subprocess

import yaml

from tests.contract.test_monitoring_rules import PROMETHEUS_DIR, RULE_FILES, TEST_FILES
from tests.helpers import ROOT, require_tool


def promtool(*args, cwd=PROMETHEUS_DIR):
    return subprocess.run(
        [require_tool("promtool"), *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_promtool_checks_the_local_config_and_its_rules():
    result = promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(RULE_FILES)} rule files found" in result.stdout


def test_promtool_checks_the_rules():
    result = promtool("check", "rules", *[str(p) for p in RULE_FILES])
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_unit_tests_pass():
    result = promtool("test", "rules", *[str(p) for p in TEST_FILES])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(TEST_FILES)


def test_kubernetes_config_passes_promtool(tmp_path):
    """Debian's promtool is built without Kubernetes discovery. Where it has it (GitHub
    Actions, the prom/prometheus image) the file is checked as is; here the discovery block
    is swapped for a static target so everything else (relabelling, alerting, rule files)
    still goes through promtool. tests/integration/test_monitoring_k8s_config.py runs the
    relabelling for real."""
    as_is = promtool("check", "config", "prometheus-k8s.yml")
    if as_is.returncode == 0:
        return
    assert "kubernetes_sd_configs not found" in as_is.stdout + as_is.stderr, as_is.stderr
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus-k8s.yml").read_text())
    for job in config["scrape_configs"]:
        if job.pop("kubernetes_sd_configs", None) is not None:
            job["static_configs"] = [{"targets": ["127.0.0.1:1"]}]
    config["rule_files"] = [str(PROMETHEUS_DIR / pattern) for pattern in config["rule_files"]]
    swapped = tmp_path / "prometheus-k8s.yml"
    swapped.write_text(yaml.safe_dump(config))
    result = promtool("check", "config", str(swapped))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_slo_stats_answer_nothing_rather_than_nan_without_traffic(tmp_path):
    """The SLOs dashboard's 30-day stats on an environment whose API traffic stopped: the
    counters exist but did not move, so an unguarded ratio would divide 0 by 0 (NaN)."""
    dashboard = json.loads((ROOT / "monitoring/grafana/dashboards/slo.json").read_text())
    stats = [
        target["expr"].replace("$namespace", ".*")
        for panel in dashboard["panels"]
        if panel["type"] == "stat"
        for target in panel["targets"]
    ]
    assert len(stats) == 4
    series = 'job="lifecycle-lab", route="/api/v1/predict"'
    case = {
        "rule_files": [str(PROMETHEUS_DIR / "rules" / "slo.yml")],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": f'http_requests_total{{{series}, status="200"}}', "values": "5x90"},
                    {"series": f'http_requests_total{{{series}, status="500"}}', "values": "1x90"},
                    {
                        "series": f'http_request_duration_seconds_bucket{{{series}, le="0.25"}}',
                        "values": "6x90",
                    },
                    {
                        "series": f"http_request_duration_seconds_count{{{series}}}",
                        "values": "6x90",
                    },
                ],
                "promql_expr_test": [
                    {"expr": expr, "eval_time": "60m", "exp_samples": []} for expr in stats
                ],
            }
        ],
    }
    path = tmp_path / "slo_stats_test.yml"
    path.write_text(yaml.safe_dump(case))
    result = promtool("test", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr

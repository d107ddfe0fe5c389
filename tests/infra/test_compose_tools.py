"""docker/compose.yaml through real tools: the compose-spec schema (and proof that it bites),
`promtool` and `amtool` on exactly what the containers would mount. (The values compose must
share with the app and monitoring/ are held together in tests/contract/test_docker_compose.py.)
"""

import json
import subprocess
from pathlib import Path

import yaml

from tests.contract.test_docker_compose import COMPOSE, MONITORING, mounts
from tests.helpers import require_tool


def run_schema_check(path: Path) -> subprocess.CompletedProcess:
    tool = require_tool("check-jsonschema")
    return subprocess.run(
        [tool, "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_valid_against_the_compose_spec():
    result = run_schema_check(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_rejects_a_typo(tmp_path, compose):
    broken = json.loads(json.dumps(compose))
    broken["services"]["app"]["helthcheck"] = broken["services"]["app"].pop("healthcheck")
    path = tmp_path / "compose.yaml"
    path.write_text(yaml.safe_dump(broken))
    assert run_schema_check(path).returncode != 0


def test_promtool_accepts_the_prometheus_container_layout(tmp_path, services):
    """Rebuild /etc/prometheus as compose mounts it (links, not copies), then promtool it."""
    promtool = require_tool("promtool")
    etc = tmp_path / "etc-prometheus"
    etc.mkdir()
    for container, host in mounts(services["prometheus"]).items():
        relative = Path(container).relative_to("/etc/prometheus")
        (etc / relative).symlink_to(host)
    result = subprocess.run(
        [promtool, "check", "config", str(etc / "prometheus.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rule_files = list((MONITORING / "prometheus" / "rules").glob("*.yml"))
    assert f"SUCCESS: {len(rule_files)} rule files found" in result.stdout, result.stdout
    assert "SUCCESS: 0 rules" not in result.stdout


def test_amtool_accepts_the_alertmanager_config_compose_mounts(services):
    amtool = require_tool("amtool")
    config = mounts(services["alertmanager"])["/etc/alertmanager/alertmanager.yml"]
    result = subprocess.run(
        [amtool, "check-config", str(config)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr

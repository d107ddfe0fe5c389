"""The Ansible deployment path, checked without a host: lint, syntax, inventories, preflight.

The real converge against systemd containers is `make ansible-test` (scripts/ansible-test.sh);
these tests keep the static side honest and cheap: ansible-lint's production profile (and
proof that it can fail), a syntax check per inventory, what each inventory really resolves
to (asked of `ansible-inventory`, not re-implemented), and the role's refusal to enable fault
injection in production, run through `ansible-playbook` itself.
"""

import ipaddress
import json
import os
import shutil
import subprocess

import pytest

from tests.helpers import ROOT, VENV_BIN, require_tool

ANSIBLE_DIR = ROOT / "ansible"
PLAYBOOK = ANSIBLE_DIR / "playbooks" / "deploy.yml"
INVENTORIES = sorted(p.name for p in (ANSIBLE_DIR / "inventories").iterdir() if p.is_dir())
REAL_ENVIRONMENTS = ("staging", "production")


def ansible_env() -> dict[str, str]:
    return {
        **os.environ,
        "ANSIBLE_CONFIG": str(ANSIBLE_DIR / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }


def run(args, cwd=ROOT, timeout=180):
    return subprocess.run(
        args, cwd=cwd, env=ansible_env(), capture_output=True, text=True, timeout=timeout
    )


def hostvars(inventory: str) -> dict[str, dict]:
    """Every host of group lifecycle_lab with its variables, as Ansible resolves them."""
    tool = require_tool("ansible-inventory")
    result = run([tool, "-i", f"ansible/inventories/{inventory}", "--list"])
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    hosts = listing["lifecycle_lab"]["hosts"]
    return {host: listing["_meta"]["hostvars"][host] for host in hosts}


def test_inventories_are_the_expected_ones():
    assert INVENTORIES == ["production", "staging", "test"]


def test_ansible_lint_production_profile_passes():
    tool = require_tool("ansible-lint")
    result = run([tool], cwd=ANSIBLE_DIR, timeout=300)  # settings: ansible/.ansible-lint
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Profile 'production' was required, and it passed" in output


def test_ansible_lint_fails_on_a_violation(tmp_path):
    """The lint above could pass by linting nothing; here it must catch a planted defect."""
    tool = require_tool("ansible-lint")
    copy = tmp_path / "ansible"
    shutil.copytree(ANSIBLE_DIR, copy, ignore=shutil.ignore_patterns(".ansible"))
    tasks = copy / "roles" / "app_user" / "tasks" / "main.yml"
    tasks.write_text(tasks.read_text() + "\n- name: Planted defect\n  command: id\n")
    result = run([tool], cwd=copy, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "fqcn" in output and "no-changed-when" in output, output


@pytest.mark.parametrize("inventory", INVENTORIES)
def test_playbook_syntax_check(inventory):
    tool = require_tool("ansible-playbook")
    result = run([tool, "--syntax-check", "-i", f"ansible/inventories/{inventory}", str(PLAYBOOK)])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("environment", REAL_ENVIRONMENTS)
def test_environment_inventory_sets_its_environment_and_no_chaos(environment):
    hosts = hostvars(environment)
    assert len(hosts) >= 2, "a rolling deploy needs more than one host to roll over"
    for host, variables in hosts.items():
        assert variables["app_service_environment"] == environment, host
        assert variables["app_service_chaos_enabled"] is False, host


def test_production_rolls_one_host_at_a_time():
    assert {v["deploy_serial"] for v in hostvars("production").values()} == {1}


@pytest.mark.parametrize("environment", REAL_ENVIRONMENTS)
def test_committed_hosts_are_placeholders(environment):
    """Nothing real is committed: reserved names (RFC 2606) and documentation IPs (RFC 5737)."""
    documentation_net = ipaddress.ip_network("192.0.2.0/24")
    for host, variables in hostvars(environment).items():
        assert host.endswith(".example"), host
        assert ipaddress.ip_address(variables["ansible_host"]) in documentation_net, host


def test_the_converge_target_runs_production_settings():
    """make ansible-test converges the test inventory: it must prove production's settings."""
    production = next(iter(hostvars("production").values()))
    for host, variables in hostvars("test").items():
        assert variables["ansible_connection"] == "containers.podman.podman", host
        for name in ("app_service_environment", "app_service_chaos_enabled", "deploy_serial"):
            assert variables[name] == production[name], (host, name)


def preflight(*extra):
    """Only the role's input checks (tag preflight), on this machine: no host is touched."""
    tool = require_tool("ansible-playbook")
    return run(
        [tool, "-i", "ansible/inventories/production", str(PLAYBOOK),
         "--tags", "preflight", "--skip-tags", "artifacts", "--limit", "lifecycle_lab[0]",
         "-e", "ansible_connection=local", "-e", "ansible_become=false", *extra]
    )  # fmt: skip


def test_preflight_accepts_the_production_inventory():
    result = preflight()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "failed=0" in result.stdout


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            "app_service_chaos_enabled=true",
            "must be false when app_service_environment is production",
        ),
        ("app_service_workers=0", "Invalid deployment settings"),
        ("app_service_environment=prod", "Invalid deployment settings"),
    ],
)
def test_preflight_refuses_bad_settings(override, message):
    result = preflight("-e", override)
    assert result.returncode != 0
    assert message in result.stdout, result.stdout

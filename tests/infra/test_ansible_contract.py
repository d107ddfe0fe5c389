"""What the Ansible roles render, held against the app they deploy.

Ansible itself renders the environment file, the systemd unit and the nginx site for the
first host of each inventory (role defaults and inventory variables with their real
precedence, on this machine, nothing installed). The app's side is never copied: variable
names come from `app.config.VARIABLES`, the bind address and timeouts from
`app/gunicorn.conf.py` loaded in a child process with exactly the rendered environment,
and routes from `app.create_app()`.
"""

import re
import subprocess
import sys

import pytest
import yaml

from app.config import ENVIRONMENTS, VARIABLES, Settings
from tests.helpers import ROOT, probe_app, require_tool
from tests.infra.test_ansible import INVENTORIES, PLAYBOOK, ansible_env

ROLES = ROOT / "ansible" / "roles"

# Renders the three templates the way the roles do, into DEST on this machine.
RENDER_PLAYBOOK = """
- name: Render the deployment templates for one host
  hosts: lifecycle_lab[0]
  gather_facts: false
  become: false
  tasks:
    - name: Load the role defaults with their normal precedence
      ansible.builtin.include_role:
        name: "{{ item }}"
        tasks_from: noop.yml
        public: true
      loop: [app_user, app_service, reverse_proxy]
    - name: Render
      ansible.builtin.template:
        src: "%(roles)s/{{ item.role }}/templates/{{ item.src }}"
        dest: "%(dest)s/{{ item.src }}"
        mode: "0600"
      loop:
        - {role: app_service, src: env.j2}
        - {role: app_service, src: lifecycle-lab.service.j2}
        - {role: reverse_proxy, src: site.conf.j2}
"""


@pytest.fixture(scope="module", params=INVENTORIES)
def rendered(request, tmp_path_factory):
    """{'inventory', 'env', 'unit', 'site', 'app'} for the first host of one inventory."""
    tool = require_tool("ansible-playbook")
    work = tmp_path_factory.mktemp(f"render-{request.param}")
    # include_role needs a tasks file: an empty one in a copy of each role.
    roles = work / "roles"
    for role in ("app_user", "app_service", "reverse_proxy"):
        (roles / role / "tasks").mkdir(parents=True)
        (roles / role / "tasks" / "noop.yml").write_text("[]\n")
        (roles / role / "defaults").symlink_to(ROLES / role / "defaults")
    playbook = work / "render.yml"
    playbook.write_text(RENDER_PLAYBOOK % {"roles": ROLES, "dest": work})
    result = subprocess.run(
        [tool, "-i", f"ansible/inventories/{request.param}", str(playbook),
         "-e", "ansible_connection=local", "-e", f"ansible_python_interpreter={sys.executable}",
         "-e", f"app_service_repo_dir={ROOT}"],
        cwd=ROOT, env={**ansible_env(), "ANSIBLE_ROLES_PATH": str(roles)},
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    env_text = (work / "env.j2").read_text()
    env = dict(
        line.split("=", 1) for line in env_text.splitlines() if line and not line.startswith("#")
    )
    # MODEL_DIR points at the host's path; here the repository's registry stands in.
    app_view = probe_app(
        {**env, "MODEL_DIR": str(ROOT / "models"), "PROMETHEUS_MULTIPROC_DIR": str(work)}
    )
    return {
        "inventory": request.param,
        "env": env,
        "unit": (work / "lifecycle-lab.service.j2").read_text(),
        "site": (work / "site.conf.j2").read_text(),
        "app": app_view,
    }


def unit_settings(unit: str) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in unit.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


def test_every_variable_in_the_env_file_is_one_the_app_reads(rendered):
    assert set(rendered["env"]) <= set(VARIABLES), set(rendered["env"]) - set(VARIABLES)


def test_env_file_environment_reaches_the_app(rendered):
    inventory_env = "production" if rendered["inventory"] == "test" else rendered["inventory"]
    assert rendered["app"]["app_env"] == inventory_env
    assert rendered["app"]["chaos_enabled"] is False


def test_gunicorn_listens_on_loopback_only(rendered):
    host, _ = rendered["app"]["bind"].rsplit(":", 1)
    assert host == "127.0.0.1", "only nginx may be reachable from outside"


def test_nginx_proxies_to_where_gunicorn_listens(rendered):
    upstream = re.search(r"upstream lifecycle_lab \{\s*server ([^;\s]+);", rendered["site"])
    assert upstream and upstream.group(1) == rendered["app"]["bind"]


def test_nginx_restricts_exactly_an_existing_metrics_route(rendered):
    location = re.search(r"location = (\S+) \{([^}]*)\}", rendered["site"])
    assert location, rendered["site"]
    assert location.group(1) in rendered["app"]["routes"]
    assert location.group(2).strip().splitlines()[-2].strip() == "deny all;"


def test_no_environment_makes_a_host_serve_api_docs(rendered):
    # The wheelhouse is the lock's serving export, without flask-swagger-ui: a host whose env
    # file asked for /docs (development's default) would refuse to start.
    assert "/docs/" not in rendered["app"]["routes"]
    for app_env in ENVIRONMENTS:
        assert not Settings.from_env({**rendered["env"], "APP_ENV": app_env}).api_docs


def test_stop_timeout_leaves_room_for_drain_and_graceful_stop(rendered):
    stop = int(unit_settings(rendered["unit"])["TimeoutStopSec"][0])
    app = rendered["app"]
    assert stop > app["drain_seconds"] + app["graceful_timeout"]


def test_unit_is_hardened(rendered):
    unit = unit_settings(rendered["unit"])
    assert unit["User"] == ["lifecycle-lab"]
    assert "DynamicUser" not in unit, "DynamicUser does not work in the test target; static user"
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "CapabilityBoundingSet": "",
        "KillSignal": "SIGTERM",
        "KillMode": "mixed",
        "Restart": "on-failure",
    }.items():
        assert unit[key] == [value], key
    # The metrics directory the app is told to use is one systemd creates and empties.
    runtime_dirs = unit["RuntimeDirectory"][0].split()
    metrics_dir = rendered["env"]["PROMETHEUS_MULTIPROC_DIR"]
    assert metrics_dir.removeprefix("/run/") in runtime_dirs


def test_unit_starts_the_server_from_the_venv_and_stops_it_by_its_drain(rendered):
    settings = unit_settings(rendered["unit"])
    python, *arguments = settings["ExecStart"][0].split()
    assert python.endswith("/venv/bin/python") and arguments == ["-m", "app"]  # the wheel's
    # SIGTERM to python -m app alone (it drains, then stops gunicorn), and gunicorn, its
    # child, may tell systemd it is ready.
    assert settings["KillMode"] == ["mixed"] and settings["NotifyAccess"] == ["all"]


def test_readiness_path_of_the_rollout_is_an_app_route(rendered):
    deploy = yaml.safe_load(PLAYBOOK.read_text())[0]
    wait = next(t for t in deploy["post_tasks"] if "until" in t)
    assert "deploy_readiness_path | default('/readyz')" in wait["ansible.builtin.uri"]["url"]
    assert "/readyz" in rendered["app"]["routes"]
    assert deploy["max_fail_percentage"] == 0 and deploy["any_errors_fatal"] is True

"""The app's wheel carries what the deployments run from it: the Ansible role's systemd unit
starts gunicorn with the wheel's app/gunicorn.conf.py, and the app validates its model
against the schemas of model_registry. (uv builds it, as `make wheel` does.)"""

import subprocess
import sys

from tests.helpers import ROOT, require_tool


def test_the_app_wheel_ships_the_gunicorn_settings(tmp_path):
    """The unit runs app/gunicorn.conf.py from the installed wheel, so it must be packaged."""
    uv = require_tool("uv")
    result = subprocess.run(
        [uv, "build", "--wheel", "--out-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("lifecycle_lab-*.whl")
    listing = subprocess.run(
        [sys.executable, "-m", "zipfile", "-l", str(wheel)], capture_output=True, text=True
    ).stdout
    assert "app/gunicorn.conf.py" in listing
    assert "model_registry/json_schemas/model.json" in listing
    assert "model_registry/json_schemas/index.json" in listing

"""`python -m ml train` for real, in a fresh interpreter: what training loads.

DESIGN.md, "Model artifact contract": training imports no Flask, gunicorn or
prometheus_client. A fresh interpreter with MLflow and scikit-learn costs about 15 s, so this
runs in `make check` (test-integration), not in the fast tier.
"""

import subprocess
import sys

import yaml

from tests.helpers import ROOT
from tests.unit.test_ml_support import make_workspace

WEB_STACK = {"flask", "werkzeug", "gunicorn", "prometheus_client"}


def imported_by(importtime_log: str) -> set[str]:
    """Top-level packages in a `python -X importtime` log: one line per module imported,
    "import time: <self us> | <cumulative us> | <indented module name>"."""
    return {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in importtime_log.splitlines()
        if line.startswith("import time:")
    }


def test_training_imports_no_web_framework(tmp_path):
    """`python -m ml train` for real, in a copy of the data, the way `make train` runs it."""
    ws = make_workspace(tmp_path)
    config = yaml.safe_load((tmp_path / "ml" / "config.yaml").read_text())
    config["optimization"]["grid"] = {"C": [10.0]}  # one point: this is about imports
    (tmp_path / "ml" / "config.yaml").write_text(yaml.safe_dump(config))
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "ml", "--root", str(ws.root), "train"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert ws.candidate_path.exists()
    imported = imported_by(result.stderr)
    # The log holds what training really loads (else an empty log would pass the test).
    assert {"sklearn", "model_registry", "jsonschema"} <= imported
    assert not imported & WEB_STACK, sorted(imported & WEB_STACK)

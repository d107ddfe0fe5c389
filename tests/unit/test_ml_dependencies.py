"""Serving stays lean: no training library in the serving dependencies or in model_registry."""

import ast
import re
import sys
import tomllib
from pathlib import Path

from ml.__main__ import main, parser
from tests.helpers import ROOT, run_python

TRAINING_LIBRARIES = {"scikit-learn", "sklearn", "numpy", "scipy", "pandas", "joblib"}


def requirement_name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower()


def test_serving_dependencies_hold_no_training_library():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    serving = {requirement_name(r) for r in project["project"]["dependencies"]}
    assert serving, "the serving dependency list should not be empty"
    assert not serving & TRAINING_LIBRARIES
    ml_group = {requirement_name(r) for r in project["dependency-groups"]["ml"]}
    assert {"scikit-learn", "numpy"} <= ml_group  # training still declares what it needs


def imported_modules(path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_model_registry_imports_only_the_standard_library_and_jsonschema():
    modules = sorted((ROOT / "model_registry").glob("*.py"))
    assert len(modules) > 1, "model_registry's modules not found"
    allowed = set(sys.stdlib_module_names) | {"jsonschema", "model_registry"}
    for module in modules:
        extra = imported_modules(module) - allowed
        assert not extra, f"{module.relative_to(ROOT)} imports {extra}"


def test_what_the_locustfile_imports_from_ml_is_standard_library_only():
    """scripts/locustfile.py imports ml.drift and ml.samples: its container has locust only."""
    for module in ("drift.py", "samples.py"):
        extra = imported_modules(ROOT / "ml" / module) - set(sys.stdlib_module_names)
        assert extra == set(), module


IMPORT_CHECK = """
import sys
from model_registry import load_active
from ml.drift import shift_features
model = load_active("models")
row = dict(zip(model.feature_names, [13.0, 2.0, 2.4, 19.0, 100.0, 2.3, 2.0, 0.36, 1.6, 5.0,
                                     0.96, 2.6, 750.0]))
model.predict_proba([shift_features(row)[f] for f in model.feature_names])
training = {"numpy", "sklearn", "scipy", "pandas"}
web = {"flask", "werkzeug", "gunicorn", "prometheus_client"}
print(",".join(sorted((training | web) & set(sys.modules))) or "none")
"""


def test_serving_a_prediction_loads_no_training_library_and_no_web_framework():
    """model_registry is shared by the service and the pipeline: it may pull in neither side."""
    result = run_python(IMPORT_CHECK)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "none"


def test_every_ml_make_target_calls_a_real_stage():
    """mk/ml.mk and `python -m ml` must agree: no target may call a stage that does not exist."""
    stages = set(parser()._subparsers._group_actions[0].choices)
    called = set(re.findall(r"\$\(PY\) -m ml ([a-z-]+)", (ROOT / "mk" / "ml.mk").read_text()))
    assert called, "mk/ml.mk calls no stage?"
    assert called <= stages, called - stages
    for target in ["train", "evaluate", "retrain", "promote", "rollback", "decommission"]:
        assert re.search(rf"^{target}:.*## ", (ROOT / "mk" / "ml.mk").read_text(), re.M)


def test_the_service_and_the_pipeline_agree_on_the_registry_directory(tmp_path, monkeypatch):
    from app.config import Settings
    from ml.workspace import Workspace

    # Without MODEL_DIR both mean models/ in the repository (the service from its working
    # directory); with it, both follow it.
    monkeypatch.chdir(ROOT)
    assert Path(Settings.from_env().model_dir).resolve() == Workspace.load(ROOT).model_dir
    elsewhere = tmp_path / "registry"
    monkeypatch.setenv("MODEL_DIR", str(elsewhere))
    assert Path(Settings.from_env().model_dir) == Workspace.load(ROOT).model_dir == elsewhere


def test_an_empty_model_dir_is_refused_not_taken_for_the_repository_root(monkeypatch, capsys):
    monkeypatch.setenv("MODEL_DIR", " ")
    assert main(["--root", str(ROOT), "status"]) == 2
    assert "MODEL_DIR is empty" in capsys.readouterr().err

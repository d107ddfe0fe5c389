"""model_registry's boundaries: training needs no web stack, and one package owns the files.

DESIGN.md, "Model artifact contract": one Flask-free package owns the artifact and registry
format; training imports no Flask, gunicorn or prometheus_client. (That serving needs no
training library is in test_ml_dependencies.py.)
"""

import ast
import json
import subprocess
import sys

import pytest
import yaml

from model_registry import INDEX_FILE, STATUSES, ModelError, read_index, write_index
from model_registry.validation import INDEX_SCHEMA, MODEL_SCHEMA
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


def test_the_statuses_are_the_ones_the_index_schema_allows():
    schema = json.loads(INDEX_SCHEMA.read_text())
    assert set(STATUSES) == set(schema["$defs"]["status"]["enum"])


def test_the_index_schema_takes_versions_from_the_model_schema(tmp_path):
    """One definition of a version number: index.json refers to model.json's."""
    assert "version" in json.loads(MODEL_SCHEMA.read_text())["$defs"]
    assert '"model.json#/$defs/version"' in INDEX_SCHEMA.read_text()
    index = {"schema_version": 1, "active": "latest", "versions": {}}
    with pytest.raises(ModelError, match="refusing to write an invalid registry index"):
        write_index(tmp_path, index)
    assert not (tmp_path / INDEX_FILE).exists()
    index["active"] = None
    write_index(tmp_path, index)
    assert read_index(tmp_path) == index


# What only model_registry may name: the registry's index and the schema files.
REGISTRY_FILE_NAMES = (INDEX_FILE, MODEL_SCHEMA.name, "model_schema", "index_schema")


def registry_file_names_in(source: str) -> list[str]:
    """String literals (not docstrings) in `source` that name a registry file."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and any(name in node.value for name in REGISTRY_FILE_NAMES)
    ]


def test_the_check_finds_a_registry_file_name_but_not_in_a_docstring():
    source = '"""Reads models/index.json."""\nindex = json.load(open(f"{root}/index.json"))\n'
    assert registry_file_names_in(source) == ["/index.json"]


@pytest.mark.parametrize("package", ["app", "ml", "scripts"])
def test_only_model_registry_names_the_registry_files(package):
    """Everything else goes through model_registry (tests may corrupt the files on purpose)."""
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in sorted((ROOT / package).rglob("*.py"))
        if (found := registry_file_names_in(path.read_text(encoding="utf-8")))
    }
    assert not offenders, offenders

"""model_registry's boundaries: one Flask-free package owns the artifact and registry files
(DESIGN.md, "Model artifact contract"). That training imports no web stack is proven by the
real command in tests/integration/test_ml_cli.py; that serving needs no training library is
in test_ml_dependencies.py.
"""

import ast
import json

import pytest

from model_registry import INDEX_FILE, STATUSES, ModelError, read_index, write_index
from model_registry.validation import INDEX_SCHEMA, MODEL_SCHEMA
from tests.helpers import ROOT


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

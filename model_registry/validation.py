"""Validation against the registry's JSON Schemas: what is wrong with a document, in one line.

`json_schemas/model.json` describes one model artifact; `json_schemas/index.json` describes the
index (`models/index.json`) and borrows model.json's definitions (version, sha256, timestamp)
by reference, so each rule is written once. Both files ship inside this package (package data):
the service, the installed wheel, the container image, the training pipeline and
`make validate-ml` (check-jsonschema) all check against the very same files.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

JSON_SCHEMA_DIR = Path(__file__).with_name("json_schemas")
MODEL_SCHEMA = JSON_SCHEMA_DIR / "model.json"
INDEX_SCHEMA = JSON_SCHEMA_DIR / "index.json"


@cache
def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def validator(path: Path) -> Draft202012Validator:
    """A validator for the schema at `path` (MODEL_SCHEMA or INDEX_SCHEMA).

    index.json says `"$ref": "model.json#/$defs/version"`, which resolves against its `$id`
    to model.json's `$id`. Both schemas embedded in one compound document (JSON Schema
    2020-12 "bundling") let jsonschema find that target in memory: no download, no file
    lookup, no library beyond jsonschema.
    """
    bundle = {path.name: _load(path) for path in (MODEL_SCHEMA, INDEX_SCHEMA)}
    return Draft202012Validator(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$defs": bundle,
            "$ref": _load(path)["$id"],
        }
    )


def problem(path: Path, document: Any) -> str | None:
    """The first schema error as "at 'where': message", or None when `document` is valid.

    "First" by position in the document, so the same broken file always gives the same
    message (iter_errors alone yields them in no promised order).
    """
    errors = sorted(validator(path).iter_errors(document), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    where = "/".join(str(part) for part in errors[0].absolute_path) or "(top level)"
    return f"at '{where}': {errors[0].message}"

"""The index (`<model_dir>/index.json`): which version serves, and every version's record.

For each version the index keeps its status (see status.py), its file, the hash of that
file's content, when it was made and its history of events. The index is read whole,
changed in memory and written whole:
- every read is checked against json_schemas/index.json (a hand-edited index is caught at once);
- every write is checked too, then replaces the file atomically (atomic.write_text), so an
  interrupted write leaves the old, valid index, and the service never reads half of one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from model_registry import validation
from model_registry.artifact import ModelError, read_json
from model_registry.atomic import write_text

INDEX_FILE = "index.json"


def index_path(model_dir: str | Path) -> Path:
    return Path(model_dir) / INDEX_FILE


def empty_index() -> dict[str, Any]:
    """The index of a registry that has no version yet."""
    return {"schema_version": 1, "active": None, "versions": {}}


def index_problem(index: Any) -> str | None:
    """Why `index` is not a valid registry index, or None when it is."""
    return validation.problem(validation.INDEX_SCHEMA, index)


def read_index(model_dir: str | Path, missing_ok: bool = False) -> dict[str, Any]:
    """The registry index, validated. Raises ModelError if it is invalid, or if it is
    missing (unless `missing_ok`: then a registry without an index is an empty one)."""
    path = index_path(model_dir)
    if missing_ok and not path.exists():
        return empty_index()
    index = read_json(path, "model registry index")
    problem = index_problem(index)
    if problem:
        raise ModelError(f"model registry index {path} is invalid {problem}")
    return index


def write_index(model_dir: str | Path, index: dict[str, Any]) -> None:
    """Replace the index atomically; refuses (ModelError) an index the service would refuse."""
    problem = index_problem(index)
    if problem:
        raise ModelError(f"refusing to write an invalid registry index {problem}")
    write_text(index_path(model_dir), json.dumps(index, indent=2) + "\n")

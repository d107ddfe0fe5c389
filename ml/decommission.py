"""Stage 10, decommissioning: retire a version for good.

The artifact file and the index history stay (an audit trail: what served when), but the
status becomes `retired`: app/model.py refuses to load it and `promote` refuses it. The
active version cannot be retired -- promote or roll back to another one first.
"""

from __future__ import annotations

from pathlib import Path

from app.model import read_index
from ml.registry import RegistryError, _event, save_index


def decommission(models_dir: Path, version: str, reason: str = "decommissioned") -> None:
    index = read_index(models_dir)
    entry = index["versions"].get(version)
    if entry is None:
        raise RegistryError(f"unknown version {version}")
    if entry["status"] == "retired":
        raise RegistryError(f"version {version} is already retired")
    if index["active"] == version:
        raise RegistryError(
            f"version {version} is active; promote or roll back to another version first"
        )
    entry["status"] = "retired"
    entry["history"].append(_event("retired", "retired", note=reason))
    save_index(models_dir, index)

"""Stage 10, decommissioning: retire a version for good.

The artifact file and the index history stay (an audit trail: what served when), but the
status becomes `retired`: model_registry refuses to load it and `promote` refuses it. The
active version cannot be retired -- promote or roll back to another one first.
"""

from __future__ import annotations

from pathlib import Path

from ml.registry import RegistryError, _event
from model_registry import RETIRED, read_index, write_index


def decommission(model_dir: Path, version: str, reason: str = "decommissioned") -> None:
    index = read_index(model_dir)
    entry = index["versions"].get(version)
    if entry is None:
        raise RegistryError(f"unknown version {version}")
    if entry["status"] == RETIRED:
        raise RegistryError(f"version {version} is already retired")
    if index["active"] == version:
        raise RegistryError(
            f"version {version} is active; promote or roll back to another version first"
        )
    entry["status"] = RETIRED
    entry["history"].append(_event("retired", RETIRED, note=reason))
    write_index(model_dir, index)

"""Stage 7, registration and deployment: the lifecycle operations on the model registry.

register, promote, rollback, print and verify. They change the registry (models/) only
through the model_registry package, which owns its files and their rules: version files
are written once and never overwritten, the index is checked and replaced atomically, a
retired version is never served. What this module adds are the lifecycle rules: a new
version starts archived, one version is active, a rollback walks back through the history,
and a version must load before it may be promoted. The service serves whatever the index
names as active.
"""

from __future__ import annotations

from pathlib import Path

from ml.report import now
from model_registry import (
    ACTIVE,
    ARCHIVED,
    CANDIDATE,
    RETIRED,
    ModelError,
    content_sha256,
    create_version_file,
    load_file,
    load_version,
    read_index,
    unlisted_files,
    write_index,
)


class RegistryError(Exception):
    pass


def _event(event: str, status: str, **extra) -> dict:
    return {"at": now(), "event": event, "status": status, **extra}


def register(model_dir: Path, candidate: Path) -> str:
    """Copy a candidate artifact into the registry as an archived version; returns it."""
    document = load_file(candidate, status=CANDIDATE).document
    index = read_index(model_dir, missing_ok=True)
    version = document["version"]
    if version in index["versions"]:
        raise RegistryError(
            f"version {version} is already registered; versions are never overwritten "
            "(train again to get a new version number)"
        )
    try:
        file_name = create_version_file(model_dir, document)
    except FileExistsError as exc:
        raise RegistryError(f"{exc.filename} exists already; not overwriting") from None
    index["versions"][version] = {
        "status": ARCHIVED,
        "file": file_name,
        "sha256": content_sha256(document),
        "created_at": document["created_at"],
        "history": [_event("registered", ARCHIVED)],
    }
    write_index(model_dir, index)
    return version


def _activate(
    index: dict,
    version: str,
    event: str,
    replaced: str | None,
    note: str,
    demoted: str = ARCHIVED,
) -> None:
    """Make `version` active; the one it replaces becomes archived (history event `demoted`)."""
    previous = index["active"]
    if previous and previous != version:
        entry = index["versions"][previous]
        entry["status"] = ARCHIVED
        entry["history"].append(_event(demoted, ARCHIVED, note=f"replaced by {version}"))
    entry = index["versions"][version]
    entry["status"] = ACTIVE
    entry["history"].append(_event(event, ACTIVE, replaced=replaced, note=note))
    index["active"] = version


def _check_promotable(model_dir: Path, index: dict, version: str) -> None:
    entry = index["versions"].get(version)
    if entry is None:
        known = ", ".join(sorted(index["versions"])) or "none"
        raise RegistryError(f"unknown version {version} (registered: {known})")
    if entry["status"] == RETIRED:
        raise RegistryError(f"version {version} is retired (decommissioned); it cannot be promoted")
    try:
        load_version(model_dir, version)  # what the service will do: refuse a broken file now
    except ModelError as exc:
        raise RegistryError(f"version {version} cannot be served: {exc}") from None


def promote(model_dir: Path, version: str, note: str = "promoted") -> None:
    index = read_index(model_dir)
    _check_promotable(model_dir, index, version)
    if index["active"] == version:
        raise RegistryError(f"version {version} is already active")
    _activate(index, version, "promoted", index["active"], note)
    write_index(model_dir, index)


def _replaced_by_last_activation(entry: dict) -> str | None:
    for event in reversed(entry["history"]):
        if event["event"] in {"promoted", "rolled_back_to"}:
            return event.get("replaced")
    return None


def rollback(model_dir: Path) -> tuple[str, str]:
    """Re-activate the version the active one replaced; returns (from, to).

    Rolling back again keeps walking back (v3 -> v2 -> v1), because the restored version
    remembers what *it* had replaced.
    """
    index = read_index(model_dir)
    current = index["active"]
    if current is None:
        raise RegistryError("no active version: nothing to roll back")
    target = _replaced_by_last_activation(index["versions"][current])
    if target is None:
        raise RegistryError(f"{current} replaced no earlier version: nothing to roll back to")
    _check_promotable(model_dir, index, target)
    restored_replaced = _replaced_by_last_activation(index["versions"][target])
    _activate(
        index,
        target,
        "rolled_back_to",
        restored_replaced,
        f"rollback from {current}",
        demoted="rolled_back_from",
    )
    write_index(model_dir, index)
    return current, target


def print_index(model_dir: Path) -> None:
    index = read_index(model_dir, missing_ok=True)
    shown = model_dir.resolve()
    if shown.is_relative_to(Path.cwd()):
        shown = shown.relative_to(Path.cwd())
    print(f"registry {shown}: active = {index['active']}")
    for version, entry in sorted(index["versions"].items(), key=lambda kv: int(kv[0][1:])):
        last = entry["history"][-1]
        print(
            f"  {version:<5} {entry['status']:<9} {entry['file']:<32} "
            f"last: {last['event']} {last['at']}"
        )


def verify(model_dir: Path) -> list[str]:
    """Load every servable version the way the service would; returns the problems found."""
    index = read_index(model_dir)
    problems = []
    for version, entry in index["versions"].items():
        if entry["status"] == RETIRED:
            continue
        try:
            load_version(model_dir, version)
        except ModelError as exc:
            problems.append(str(exc))
    for name in unlisted_files(model_dir, index):
        problems.append(f"{name} is not in the registry index (register it or remove it)")
    return problems

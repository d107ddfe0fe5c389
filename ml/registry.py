"""Stage 7, registration and deployment: the model registry in models/.

models/index.json names the active version and keeps, for every version, its status
(active | archived | retired), its file, the hash of its content and its history. Rules:
- a version file is created once and never overwritten (ml.atomic.create_new);
- the index is replaced atomically, so an interrupted write leaves the old, valid index;
- the file is written before the index names it, so the index never points at nothing;
- a retired version cannot be promoted again.
The service (app/model.py) serves whatever the index names as active.
"""

from __future__ import annotations

import json
from pathlib import Path

from app.model import (
    INDEX_FILE,
    ModelError,
    content_sha256,
    index_problem,
    load_file,
    load_version,
    read_index,
)
from ml.atomic import create_new, write_text
from ml.report import now


class RegistryError(Exception):
    pass


def empty_index() -> dict:
    return {"schema_version": 1, "active": None, "versions": {}}


def current_index(models_dir: Path) -> dict:
    """The index, or an empty one when the registry does not exist yet."""
    if not (models_dir / INDEX_FILE).exists():
        return empty_index()
    return read_index(models_dir)


def next_version(models_dir: Path) -> str:
    numbers = [int(v[1:]) for v in current_index(models_dir)["versions"]]
    taken = [
        int(p.stem.rsplit("-v", 1)[1])
        for p in models_dir.glob("*-v*.json")
        if p.stem.rsplit("-v", 1)[1].isdigit()
    ]
    return f"v{max([0, *numbers, *taken]) + 1}"


def save_index(models_dir: Path, index: dict) -> None:
    problem = index_problem(index)
    if problem:  # never write an index the service would refuse
        raise RegistryError(f"refusing to write an invalid index {problem}")
    write_text(models_dir / INDEX_FILE, json.dumps(index, indent=2) + "\n")


def _event(event: str, status: str, **extra) -> dict:
    return {"at": now(), "event": event, "status": status, **extra}


def register(models_dir: Path, candidate: Path) -> str:
    """Copy a candidate artifact into the registry as an archived version; returns it."""
    model = load_file(candidate, status="candidate")
    document = model.document
    index = current_index(models_dir)
    version = document["version"]
    if version in index["versions"]:
        raise RegistryError(
            f"version {version} is already registered; versions are never overwritten "
            "(train again to get a new version number)"
        )
    file_name = f"{document['name']}-{version}.json"
    try:
        create_new(models_dir / file_name, json.dumps(document, indent=2) + "\n")
    except FileExistsError:
        raise RegistryError(f"{models_dir / file_name} exists already; not overwriting") from None
    index["versions"][version] = {
        "status": "archived",
        "file": file_name,
        "sha256": content_sha256(document),
        "created_at": document["created_at"],
        "history": [_event("registered", "archived")],
    }
    save_index(models_dir, index)
    return version


def _activate(
    index: dict,
    version: str,
    event: str,
    replaced: str | None,
    note: str,
    demoted: str = "archived",
) -> None:
    """Make `version` active; the one it replaces becomes archived (history event `demoted`)."""
    previous = index["active"]
    if previous and previous != version:
        entry = index["versions"][previous]
        entry["status"] = "archived"
        entry["history"].append(_event(demoted, "archived", note=f"replaced by {version}"))
    entry = index["versions"][version]
    entry["status"] = "active"
    entry["history"].append(_event(event, "active", replaced=replaced, note=note))
    index["active"] = version


def _check_promotable(models_dir: Path, index: dict, version: str) -> None:
    entry = index["versions"].get(version)
    if entry is None:
        known = ", ".join(sorted(index["versions"])) or "none"
        raise RegistryError(f"unknown version {version} (registered: {known})")
    if entry["status"] == "retired":
        raise RegistryError(f"version {version} is retired (decommissioned); it cannot be promoted")
    try:
        load_version(models_dir, version)  # what the service will do: refuse a broken file now
    except ModelError as exc:
        raise RegistryError(f"version {version} cannot be served: {exc}") from None


def promote(models_dir: Path, version: str, note: str = "promoted") -> None:
    index = read_index(models_dir)
    _check_promotable(models_dir, index, version)
    if index["active"] == version:
        raise RegistryError(f"version {version} is already active")
    _activate(index, version, "promoted", index["active"], note)
    save_index(models_dir, index)


def _replaced_by_last_activation(entry: dict) -> str | None:
    for event in reversed(entry["history"]):
        if event["event"] in {"promoted", "rolled_back_to"}:
            return event.get("replaced")
    return None


def rollback(models_dir: Path) -> tuple[str, str]:
    """Re-activate the version the active one replaced; returns (from, to).

    Rolling back again keeps walking back (v3 -> v2 -> v1), because the restored version
    remembers what *it* had replaced.
    """
    index = read_index(models_dir)
    current = index["active"]
    if current is None:
        raise RegistryError("no active version: nothing to roll back")
    target = _replaced_by_last_activation(index["versions"][current])
    if target is None:
        raise RegistryError(f"{current} replaced no earlier version: nothing to roll back to")
    _check_promotable(models_dir, index, target)
    restored_replaced = _replaced_by_last_activation(index["versions"][target])
    _activate(
        index,
        target,
        "rolled_back_to",
        restored_replaced,
        f"rollback from {current}",
        demoted="rolled_back_from",
    )
    save_index(models_dir, index)
    return current, target


def print_index(models_dir: Path) -> None:
    index = current_index(models_dir)
    shown = models_dir.resolve()
    if shown.is_relative_to(Path.cwd()):
        shown = shown.relative_to(Path.cwd())
    print(f"registry {shown}: active = {index['active']}")
    for version, entry in sorted(index["versions"].items(), key=lambda kv: int(kv[0][1:])):
        last = entry["history"][-1]
        print(
            f"  {version:<5} {entry['status']:<9} {entry['file']:<32} "
            f"last: {last['event']} {last['at']}"
        )


def verify(models_dir: Path) -> list[str]:
    """Load every servable version the way the service would; returns the problems found."""
    index = read_index(models_dir)
    problems = []
    for version, entry in index["versions"].items():
        if entry["status"] == "retired":
            continue
        try:
            load_version(models_dir, version)
        except ModelError as exc:
            problems.append(str(exc))
    listed = {entry["file"] for entry in index["versions"].values()}
    for path in sorted(models_dir.glob("*.json")):
        if path.name != INDEX_FILE and path.name not in listed:
            problems.append(f"{path.name} is not in the registry index (register it or remove it)")
    return problems

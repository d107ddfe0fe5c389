"""The version files: one artifact per registered version, `<model_dir>/<name>-vN.json`.

Rules that keep a deployed model what it was when it was checked:
- a version file is created once and never overwritten (atomic.create_new);
- it is written before the index names it, so the index never points at nothing;
- the index records the hash of its content, so a file changed afterwards is refused as
  corrupt when it is loaded;
- the loaders refuse a retired version, and a file that holds another version than the
  index says.
"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

from model_registry.artifact import Model, ModelError, load_file, to_json
from model_registry.atomic import create_new
from model_registry.index import INDEX_FILE, read_index
from model_registry.status import RETIRED


def version_file_name(document: dict[str, Any]) -> str:
    return f"{document['name']}-{document['version']}.json"


def next_version(model_dir: str | Path) -> str:
    """The next free version number: above every indexed version and every version file
    (a file nobody registered still holds its number: versions are never reused)."""
    model_dir = Path(model_dir)
    numbers = [int(v[1:]) for v in read_index(model_dir, missing_ok=True)["versions"]]
    for path in model_dir.glob("*-v*.json"):
        number = path.stem.rsplit("-v", 1)[1]
        if number.isdigit():
            numbers.append(int(number))
    return f"v{max([0, *numbers]) + 1}"


def create_version_file(model_dir: str | Path, document: dict[str, Any]) -> str:
    """Write a new version file (checked first); returns its name for the index.

    Raises FileExistsError when the file exists already: it is never overwritten.
    """
    path = Path(model_dir) / version_file_name(document)
    try:
        create_new(path, to_json(document))
    except FileExistsError:
        # os.link's error names the temp file; name the file that is in the way instead.
        raise FileExistsError(
            errno.EEXIST, "version files are never overwritten", str(path)
        ) from None
    return path.name


def unlisted_files(model_dir: str | Path, index: dict[str, Any]) -> list[str]:
    """Artifact files in `model_dir` that the index does not list (strays to register or remove)."""
    listed = {entry["file"] for entry in index["versions"].values()} | {INDEX_FILE}
    return [p.name for p in sorted(Path(model_dir).glob("*.json")) if p.name not in listed]


def load_version(model_dir: str | Path, version: str) -> Model:
    """Load a registered version (active or archived); refuses retired and unknown versions."""
    index = read_index(model_dir)
    entry = index["versions"].get(version)
    if entry is None:
        known = ", ".join(sorted(index["versions"])) or "none"
        raise ModelError(f"model version '{version}' is not in the registry (known: {known})")
    if entry["status"] == RETIRED:
        raise ModelError(
            f"model version '{version}' is retired (decommissioned) and must not be served; "
            "promote another version"
        )
    model = load_file(Path(model_dir) / entry["file"], entry["status"], entry["sha256"])
    if model.version != version:
        raise ModelError(
            f"model artifact {entry['file']} holds version '{model.version}', "
            f"but the registry lists it as '{version}'"
        )
    return model


def load_active(model_dir: str | Path) -> Model:
    """Load the version the registry index names as active (what the service serves)."""
    active = read_index(model_dir)["active"]
    if active is None:
        raise ModelError(f"the model registry {model_dir} has no active version (promote one)")
    return load_version(model_dir, active)

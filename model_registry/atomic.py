"""Crash-safe file writes: a reader sees the old file or the new one, never half of one.

Write to a temp file in the same directory, flush it to disk, then rename it over the
target (os.replace is atomic on POSIX). `create_new` never overwrites: it links the temp
file into place, which fails if the target already exists.

The registry's files are written through here; the training pipeline (`ml/`) uses the same
two functions for its candidate, reports and data files. It lives in this package, not in
`ml/`, because the serving side ships without `ml/` and one implementation must serve both.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _temp_with(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file 0600; give it the mode a plain open() would, so the
        # container's non-root user (and git) see the models and data like any other file.
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return Path(tmp)


def write_text(path: Path, text: str) -> None:
    """Replace `path` atomically with `text`."""
    tmp = _temp_with(path, text)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def create_new(path: Path, text: str) -> None:
    """Create `path` with `text`; raise FileExistsError if it already exists."""
    tmp = _temp_with(path, text)
    try:
        os.link(tmp, path)  # atomic and exclusive: fails when `path` exists
    finally:
        os.unlink(tmp)

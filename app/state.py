"""The app's state in one typed object, and the switches that every gunicorn worker shares.

`AppState` is everything `create_app` builds once and every request reads: the settings, the
model (or why there is none) and the shared switches. Flask's place for such state is
`app.extensions`; this app keeps all of it there under one key, read with `current_state()`.

`Switches` are the flags that must hold for every worker at once: draining after SIGTERM, and
the chaos toggles. Workers are separate processes, so a Python variable would change in one
worker only. The switches live in one small file mapped into memory (mmap) by every process
that needs them: the gunicorn master creates it before it forks, each worker maps it, and
`python -m app` maps it on SIGTERM to start the drain. A write by any of them is seen by all.
The file sits in the run's multiprocess directory, the one folder every process shares.
"""

import mmap
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from app.config import Settings
from model_registry import Model, ModelError, load_active

EXTENSION = "lifecycle_lab"
SWITCHES_FILE = "switches"
# draining, readiness_off, 6 bytes of padding, added latency in seconds, error rate
_LAYOUT = struct.Struct("<BB6xdd")


class Switches:
    """Draining and the chaos toggles, in a memory page shared by every process of the server."""

    def __init__(self, page: mmap.mmap) -> None:
        self._page = page

    @classmethod
    def create(cls, directory: Path) -> "Switches":
        """A fresh page, every switch off: made by the gunicorn master before it forks."""
        (directory / SWITCHES_FILE).write_bytes(bytes(mmap.PAGESIZE))
        return cls.open(directory)

    @classmethod
    def open(cls, directory: Path) -> "Switches":
        """The page the master created, mapped into this process (a worker, `python -m app`);
        made here when no master did (an app run in one process with a multiprocess directory)."""
        fd = os.open(directory / SWITCHES_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < mmap.PAGESIZE:
                os.ftruncate(fd, mmap.PAGESIZE)  # a new file reads as zeros: every switch off
            return cls(mmap.mmap(fd, mmap.PAGESIZE))  # MAP_SHARED: writes reach every process
        finally:
            os.close(fd)  # the mapping keeps the file open

    @classmethod
    def private(cls) -> "Switches":
        """A page of this process alone, for an app served without gunicorn (flask run)."""
        return cls(mmap.mmap(-1, mmap.PAGESIZE))

    def _read(self) -> tuple:
        return _LAYOUT.unpack_from(self._page, 0)

    def _write(self, **changes) -> None:
        draining, readiness_off, latency, error_rate = self._read()
        fields = dict(
            draining=draining, readiness_off=readiness_off, latency=latency, error_rate=error_rate
        )
        fields.update(changes)
        _LAYOUT.pack_into(self._page, 0, *fields.values())

    @property
    def draining(self) -> bool:
        return bool(self._read()[0])

    @property
    def readiness_off(self) -> bool:
        return bool(self._read()[1])

    @property
    def latency_seconds(self) -> float:
        return self._read()[2]

    @property
    def error_rate(self) -> float:
        return self._read()[3]

    def start_draining(self) -> None:
        self._write(draining=1)

    def set_chaos(self, *, latency_seconds=None, error_rate=None, readiness_off=None) -> None:
        changes = {}
        if latency_seconds is not None:
            changes["latency"] = latency_seconds
        if error_rate is not None:
            changes["error_rate"] = error_rate
        if readiness_off is not None:
            changes["readiness_off"] = int(readiness_off)
        self._write(**changes)

    def reset_chaos(self) -> None:
        self._write(latency=0.0, error_rate=0.0, readiness_off=0)

    def chaos_view(self) -> dict:
        return {
            "latency_seconds": self.latency_seconds,
            "error_rate": self.error_rate,
            "readiness_off": self.readiness_off,
        }


@dataclass
class AppState:
    settings: Settings
    switches: Switches
    model: Model | None  # None: the app runs, but /readyz says why it is not ready
    model_error: str = ""

    @classmethod
    def load(cls, settings: Settings) -> "AppState":
        run_dir = settings.multiprocess_dir
        switches = Switches.open(Path(run_dir)) if run_dir else Switches.private()
        try:
            return cls(settings, switches, load_active(settings.model_dir))
        except ModelError as error:
            return cls(settings, switches, None, str(error))


def current_state() -> AppState:
    """The state of the app serving the current request."""
    return current_app.extensions[EXTENSION]

"""Switches that every gunicorn worker must agree on: draining and the chaos toggles.

Workers are separate processes, so a flag kept in a Python variable would change only in
the worker that served the request. The gunicorn master creates one anonymous shared memory
page before it forks (see gunicorn.conf.py); each worker inherits that same page, so a write
by one worker is read by all of them, and by workers started later (SIGHUP, crash restart).
"""

import mmap
import struct

# draining, readiness_off, 6 bytes padding, latency seconds, error rate, master pid
_LAYOUT = struct.Struct("<BB6xddq")


class SharedState:
    def __init__(self) -> None:
        self._page = mmap.mmap(-1, mmap.PAGESIZE)  # MAP_SHARED | MAP_ANONYMOUS

    def _read(self) -> tuple:
        return _LAYOUT.unpack_from(self._page, 0)

    def _write(self, **changes) -> None:
        draining, readiness_off, latency, error_rate, master_pid = self._read()
        fields = {
            "draining": draining,
            "readiness_off": readiness_off,
            "latency": latency,
            "error_rate": error_rate,
            "master_pid": master_pid,
        }
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

    @property
    def master_pid(self) -> int:
        """The gunicorn master's pid, or 0 when not served by gunicorn."""
        return self._read()[4]

    def start_draining(self) -> None:
        self._write(draining=1)

    def set_master_pid(self, pid: int) -> None:
        self._write(master_pid=pid)

    def set_chaos(
        self,
        *,
        latency_seconds: float | None = None,
        error_rate: float | None = None,
        readiness_off: bool | None = None,
    ) -> None:
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


_process_state: SharedState | None = None


def create_for_master() -> SharedState:
    """Called by the gunicorn master before it forks: the page all workers will share."""
    global _process_state
    _process_state = SharedState()
    return _process_state


def current() -> SharedState:
    """The shared page inherited from the master, or a private one outside gunicorn."""
    global _process_state
    if _process_state is None:
        _process_state = SharedState()
    return _process_state

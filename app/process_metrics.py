"""CPU, memory and worker count for the whole gunicorn process tree.

prometheus_client's stock process collector reports only the process that answers the
scrape, and in multiprocess mode it is not registered at all, so under gunicorn these
series would be missing. This collector reads /proc for the master and every worker and
reports their sum — what the container, VM or pod really uses.
"""

import os
import time
from pathlib import Path

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

_PROC = Path("/proc")
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name sits in parentheses and may contain spaces: split after it.
    return raw[raw.rindex(")") + 2 :].split()


def _boot_time() -> float:
    for line in (_PROC / "stat").read_text().splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    return time.time()


def children_of(parent: int) -> list[int]:
    """Pids whose parent is `parent` (a gunicorn master's workers), read from /proc."""
    pids = []
    for entry in _PROC.iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields and int(fields[1]) == parent:  # field 4 of stat: ppid
                pids.append(int(entry.name))
    return pids


def _open_fds(pid: int) -> int:
    try:
        return len(os.listdir(_PROC / str(pid) / "fd"))
    except OSError:
        return 0


class ProcessTreeCollector:
    def __init__(self, shared_state) -> None:
        self._state = shared_state

    def collect(self):
        if not _PROC.exists():
            return
        master = self._state.master_pid or os.getpid()
        workers = children_of(master) if self._state.master_pid else []
        cpu = rss = 0.0
        fds = 0
        start = None
        for pid in (master, *workers):
            fields = _stat_fields(pid)
            if fields is None:
                continue
            # stat fields (1-based, as in proc(5)): 14 utime, 15 stime, 22 starttime, 24 rss
            cpu += (int(fields[11]) + int(fields[12])) / _TICKS
            rss += int(fields[21]) * _PAGE
            fds += _open_fds(pid)
            if pid == master:
                start = _boot_time() + int(fields[19]) / _TICKS
        yield CounterMetricFamily(
            "process_cpu_seconds", "CPU time of the master and its workers", value=cpu
        )
        yield GaugeMetricFamily(
            "process_resident_memory_bytes", "Resident memory of the master and workers", value=rss
        )
        yield GaugeMetricFamily("process_open_fds", "Open file descriptors, all processes", fds)
        if start is not None:
            yield GaugeMetricFamily(
                "process_start_time_seconds", "Start time of the master (unix time)", start
            )
        yield GaugeMetricFamily(
            "gunicorn_workers", "Live gunicorn worker processes", value=len(workers)
        )

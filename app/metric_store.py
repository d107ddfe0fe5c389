"""Hot-path metrics: a request's counters and histograms, each series resolved to a slot once.

prometheus_client's multiprocess values are general: every increment takes a lock, asks the
kernel for the pid, looks the series up in two dictionaries and packs two doubles — about
2 µs here, and a prediction makes 21 of them. The series a request touches are few and
repeat, so this store resolves each one to a slot once, and an observation is then a single
store into a memoryview of doubles, under one lock for the whole request.

The slots live in per-process files written in prometheus_client's own multiprocess format
(documented on `prometheus_client.mmap_dict.MmapedDict`: a 4-byte used size, 4 bytes of
padding, then entries of key length, key padded to 8 bytes, value and timestamp), with the
same keys (`mmap_key`), in the same directory. So prometheus_client's MultiProcessCollector
reads and merges them with every other metric; a worker that dies keeps its counts in the
sum, and the start-up wipe of *.db clears them. tests/unit/test_metric_store.py holds the
format to the installed prometheus_client.

A store belongs to one process: gunicorn builds the app in each worker after the fork (no
preload), so every worker writes only its own files.
"""

import bisect
import mmap
import os
import struct
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.utils import floatToGoString

_HEADER_BYTES = 8  # used size (int32) + padding
_INITIAL_BYTES = 1 << 16
_USED = struct.Struct("i")
_DOUBLE = 8


class SlotFile:
    """One process's file of float slots (one metric type per file, as the collector expects)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._slots: dict[str, int] = {}
        # A dead worker's pid can come back in the same run: continue its file, never truncate.
        self._file = open(path, "a+b")  # noqa: SIM115 - open for the life of the process
        size = os.fstat(self._file.fileno()).st_size
        if size == 0:
            self._file.truncate(_INITIAL_BYTES)
            size = _INITIAL_BYTES
        else:
            for key, _value, _timestamp, position in MmapedDict.read_all_values_from_file(path):
                self._slots[key] = position // _DOUBLE
        self._old_maps: list[mmap.mmap] = []
        self._map(size)
        self._used = _USED.unpack_from(self._mmap, 0)[0]
        if self._used == 0:
            self._used = _HEADER_BYTES
            self._mmap[0:4] = _USED.pack(self._used)

    def _map(self, size: int) -> None:
        self._size = size
        self._mmap = mmap.mmap(self._file.fileno(), size)
        self.values = memoryview(self._mmap).cast("d")

    def slot(self, key: str) -> int:
        """The index in `values` of the series `key`, appended (at 0) if new. Hold the lock."""
        index = self._slots.get(key)
        if index is None:
            index = self._slots[key] = self._append(key)
        return index

    def _append(self, key: str) -> int:
        encoded = key.encode("utf-8")
        padded = encoded + b" " * (8 - (len(encoded) + 4) % 8)  # value lands 8-byte aligned
        entry = struct.pack(f"i{len(padded)}sdd", len(encoded), padded, 0.0, 0.0)
        while self._used + len(entry) > self._size:
            # Grow: the old mapping stays open (a caller may still hold its `values`); it maps
            # the same file pages, so a write through it is not lost.
            self._old_maps.append(self._mmap)
            self._file.truncate(self._size * 2)
            self._map(self._size * 2)
        start = self._used
        self._mmap[start : start + len(entry)] = entry
        self._used += len(entry)
        # The entry is complete before the used size admits it: a concurrent scrape never
        # reads half an entry.
        self._mmap[0:4] = _USED.pack(self._used)
        return (self._used - 2 * _DOUBLE) // _DOUBLE


class MetricStore:
    """This process's hot-path series, in a directory a MultiProcessCollector reads.

    `lock` guards every write: take it once per request, write all its series, let go. It
    is re-entrant, so resolving a new series (which takes it too) is safe while holding it.
    """

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = Path(directory)
        self.lock = threading.RLock()
        self._pid = os.getpid()
        self._files: dict[str, SlotFile] = {}
        self.private_directory: tempfile.TemporaryDirectory | None = None

    def file(self, kind: str) -> SlotFile:
        # "<type>_..." is how MultiProcessCollector learns a file's metric type; the "-hot"
        # suffix keeps these files apart from prometheus_client's own "<type>_<pid>.db".
        if kind not in self._files:
            self._files[kind] = SlotFile(self.directory / f"{kind}_{self._pid}-hot.db")
        return self._files[kind]


_stores: dict[tuple[str, int], MetricStore] = {}
_stores_lock = threading.Lock()


def store_for(directory: str | None) -> MetricStore:
    """The process's store for a multiprocess directory (shared by every app in the process:
    two writers of one file would overwrite each other's entries), or, without a directory,
    a private store in a temporary directory that lives as long as the store."""
    if directory is None:
        private = tempfile.TemporaryDirectory(prefix="lifecycle-lab-metrics-")
        store = MetricStore(private.name)
        store.private_directory = private  # removed when the store is collected
        return store
    key = (os.path.abspath(directory), os.getpid())
    with _stores_lock:
        if key not in _stores:
            _stores[key] = MetricStore(directory)
        return _stores[key]


def mark_process_dead(pid: int, directory: str) -> None:
    """A worker died: its live gauges leave the sum (its counters stay, as they should)."""
    for path in Path(directory).glob(f"gauge_live*_{pid}-hot.db"):
        path.unlink(missing_ok=True)


class _FastMetric:
    """A labelled metric whose series live in the store's file of type `kind`."""

    kind = ""  # the file (metric type) its series live in

    def __init__(self, store: MetricStore, name: str, documentation: str, labelnames=()):
        self.store = store
        self.file = store.file(self.kind)
        self._name = name
        self._documentation = documentation
        self._labelnames = tuple(labelnames)

    def _slot(self, sample_suffix: str, labelnames, labelvalues) -> int:
        """The slot of one sample, keyed exactly as prometheus_client keys it."""
        key = mmap_key(
            self._name, self._name + sample_suffix, labelnames, labelvalues, self._documentation
        )
        with self.store.lock:
            return self.file.slot(key)


class _FastSeries(_FastMetric):
    """A labelled metric of single-value series; `slot(*labels)` once, then
    `self.file.values[slot] += amount` under the store's lock."""

    sample_suffix = ""

    def __init__(self, store: MetricStore, name: str, documentation: str, labelnames=()):
        super().__init__(store, name, documentation, labelnames)
        self._slots: dict[tuple[str, ...], int] = {}

    def slot(self, *labelvalues: str) -> int:
        index = self._slots.get(labelvalues)
        if index is None:
            index = self._slots[labelvalues] = self._slot(
                self.sample_suffix, self._labelnames, labelvalues
            )
        return index


class FastCounter(_FastSeries):
    kind = "counter"
    sample_suffix = "_total"

    def __init__(self, store: MetricStore, name: str, documentation: str, labelnames=()):
        # prometheus_client's convention: the metric is named without _total, the sample with.
        super().__init__(store, name.removesuffix("_total"), documentation, labelnames)


class FastLiveSumGauge(_FastSeries):
    """A gauge summed over the live workers (a dead worker's file is removed by
    `mark_process_dead`), like prometheus_client's multiprocess_mode="livesum"."""

    kind = "gauge_livesum"


class HistogramSeries:
    """The slots of one labelled histogram series: one per bucket (not cumulative: the
    collector accumulates them) and one for the sum; the count is the buckets' total."""

    __slots__ = ("bounds", "buckets", "sum")

    def __init__(self, bounds: tuple[float, ...], buckets: tuple[int, ...], sum_slot: int):
        self.bounds, self.buckets, self.sum = bounds, buckets, sum_slot

    def observe(self, values: memoryview, amount: float) -> None:
        """Record `amount`; `values` is the histogram file's, and the store's lock is held."""
        values[self.buckets[bisect.bisect_left(self.bounds, amount)]] += 1.0
        values[self.sum] += amount


class FastHistogram(_FastMetric):
    """A labelled histogram with fixed buckets; `series(*labels)` once, then `observe`."""

    kind = "histogram"

    def __init__(
        self,
        store: MetricStore,
        name: str,
        documentation: str,
        labelnames,
        buckets: Sequence[float],
    ) -> None:
        super().__init__(store, name, documentation, labelnames)
        self._bounds = (*sorted(float(b) for b in buckets), float("inf"))
        self._series: dict[tuple[str, ...], HistogramSeries] = {}

    def series(self, *labelvalues: str) -> HistogramSeries:
        found = self._series.get(labelvalues)
        if found is None:
            bucket_labels = (*self._labelnames, "le")
            buckets = tuple(
                self._slot("_bucket", bucket_labels, (*labelvalues, floatToGoString(bound)))
                for bound in self._bounds
            )
            sum_slot = self._slot("_sum", self._labelnames, labelvalues)
            found = self._series[labelvalues] = HistogramSeries(self._bounds, buckets, sum_slot)
        return found

"""The hot-path metric store writes prometheus_client's multiprocess files, and exactly so."""

import os
import threading

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, values
from prometheus_client.multiprocess import MultiProcessCollector

from app import metric_store
from app.metric_store import FastCounter, FastHistogram, FastLiveSumGauge, MetricStore

BUCKETS = (0.01, 0.1, 1.0)
OBSERVATIONS = (0.005, 0.01, 0.05, 0.5, 3.0, 0.1)


def exposition(directory) -> str:
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(directory))
    return generate_latest(registry).decode()


def samples(directory) -> dict:
    """{(sample name, sorted labels): value} of everything in a multiprocess directory."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(directory))
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in registry.collect()
        for s in family.samples
    }


def record_with_the_store(directory) -> None:
    store = MetricStore(directory)
    counter = FastCounter(store, "jobs_total", "Jobs done", ["kind"])
    histogram = FastHistogram(store, "job_seconds", "Job time", ["kind"], BUCKETS)
    gauge = FastLiveSumGauge(store, "jobs_running", "Jobs running")
    with store.lock:
        for kind in ("a", "b"):
            counter.file.values[counter.slot(kind)] += 2.0
            for seconds in OBSERVATIONS:
                histogram.series(kind).observe(histogram.file.values, seconds)
        gauge.file.values[gauge.slot()] += 3.0


def record_with_prometheus_client(directory, monkeypatch) -> None:
    # prometheus_client's own multiprocess values, as gunicorn workers would write them.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    monkeypatch.setattr(values, "ValueClass", values.MultiProcessValue(lambda: 4242))
    registry = CollectorRegistry()
    counter = Counter("jobs_total", "Jobs done", ["kind"], registry=registry)
    histogram = Histogram("job_seconds", "Job time", ["kind"], buckets=BUCKETS, registry=registry)
    gauge = Gauge("jobs_running", "Jobs running", multiprocess_mode="livesum", registry=registry)
    for kind in ("a", "b"):
        counter.labels(kind).inc(2)
        for seconds in OBSERVATIONS:
            histogram.labels(kind).observe(seconds)
    gauge.inc(3)
    values.close_all_multiprocess_files()


def test_the_store_writes_what_prometheus_client_would_write(tmp_path, monkeypatch):
    ours, theirs = tmp_path / "store", tmp_path / "client"
    ours.mkdir()
    theirs.mkdir()
    record_with_the_store(ours)
    record_with_prometheus_client(theirs, monkeypatch)
    assert sorted(exposition(ours).splitlines()) == sorted(exposition(theirs).splitlines())
    # ...and it is the right answer, not just the same one.
    found = samples(ours)
    assert found[("jobs_total", (("kind", "a"),))] == 2
    assert found[("job_seconds_count", (("kind", "b"),))] == len(OBSERVATIONS)
    assert found[("job_seconds_bucket", (("kind", "a"), ("le", "0.01")))] == 2  # le is <=
    assert found[("job_seconds_bucket", (("kind", "a"), ("le", "1.0")))] == 5
    assert found[("job_seconds_sum", (("kind", "a"),))] == pytest.approx(sum(OBSERVATIONS))
    assert found[("jobs_running", ())] == 3


def test_a_new_series_exists_at_zero(tmp_path):
    store = MetricStore(tmp_path)
    FastCounter(store, "bins_total", "Bins", ["bin"]).slot("7")
    assert samples(tmp_path)[("bins_total", (("bin", "7"),))] == 0


def test_growing_past_the_first_mapping_keeps_every_value(tmp_path):
    store = MetricStore(tmp_path)
    counter = FastCounter(store, "wide_total", "Many series", ["id"])
    early = counter.slot("early")
    early_values = counter.file.values  # a view of the first mapping, held across growth
    names = [f"series-{n:05d}-{'x' * 40}" for n in range(2000)]  # ~200 KB of keys: 64 KB→256 KB
    for name in names:
        slot = counter.slot(name)
        with store.lock:
            counter.file.values[slot] += 1.0
    with store.lock:
        early_values[early] += 5.0  # written through the old mapping: same file pages
    assert os.path.getsize(counter.file.path) > 1 << 16
    found = samples(tmp_path)
    assert found[("wide_total", (("id", "early"),))] == 5
    assert (
        sum(v for (name, labels), v in found.items() if labels[0][1].startswith("series-")) == 2000
    )


def test_a_returning_pid_continues_its_file_instead_of_erasing_it(tmp_path):
    first = MetricStore(tmp_path)
    counter = FastCounter(first, "jobs_total", "Jobs done")
    counter.file.values[counter.slot()] += 4.0
    again = MetricStore(tmp_path)  # same pid, same directory: as after a worker restart
    counter = FastCounter(again, "jobs_total", "Jobs done")
    counter.file.values[counter.slot()] += 1.0
    assert samples(tmp_path)[("jobs_total", ())] == 5


def test_a_dead_workers_live_gauge_leaves_the_sum_and_its_counters_stay(tmp_path):
    record_with_the_store(tmp_path)
    metric_store.mark_process_dead(os.getpid(), str(tmp_path))
    found = samples(tmp_path)
    assert ("jobs_running", ()) not in found
    assert found[("jobs_total", (("kind", "a"),))] == 2


def test_threads_lose_no_increment(tmp_path):
    store = MetricStore(tmp_path)
    counter = FastCounter(store, "hits_total", "Hits")
    slot = counter.slot()

    def hammer():
        for _ in range(20_000):
            with store.lock:
                counter.file.values[slot] += 1.0

    threads = [threading.Thread(target=hammer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert samples(tmp_path)[("hits_total", ())] == 120_000


def test_apps_in_one_process_share_one_store_per_directory(tmp_path):
    # Two writers of one file would each append entries over the other's.
    assert metric_store.store_for(str(tmp_path)) is metric_store.store_for(str(tmp_path))
    assert metric_store.store_for(None) is not metric_store.store_for(None)

"""The cached pid and tag belong to one process: a forked worker gets its own."""

import json
import os
import threading
import time

from app import process_identity


def test_a_forked_child_reports_its_own_pid_and_a_fresh_tag():
    parent = (process_identity.pid(), process_identity.tag())  # cached before the fork
    parent_id = next(process_identity.request_ids())
    assert parent[0] == os.getpid()
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child, which reports through the pipe
        child_id = next(process_identity.request_ids())
        report = [process_identity.pid(), process_identity.tag(), child_id]
        os.write(writer, json.dumps(report).encode())
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as pipe:
        child_pid, child_tag, child_id = json.loads(pipe.read())
    os.waitpid(child, 0)
    assert child_pid == child != parent[0]
    assert child_tag != parent[1] and len(child_tag) == 16
    assert parent_id.startswith(parent[1]) and child_id.startswith(child_tag)  # ids follow
    assert (process_identity.pid(), process_identity.tag()) == parent  # the parent keeps its own


def test_new_request_ids_are_unique_and_safe_to_log(client):
    ids = {client.get("/healthz").headers["X-Request-ID"] for _ in range(50)}
    assert len(ids) == 50
    assert all(len(i) == 32 and all(c in "0123456789abcdef" for c in i) for i in ids)


def test_request_ids_drawn_by_many_threads_at_once_never_repeat():
    drawn: list[list[str]] = [[] for _ in range(6)]

    def draw(into: list[str]) -> None:
        source = process_identity.request_ids()
        into.extend(next(source) for _ in range(20_000))

    threads = [threading.Thread(target=draw, args=(into,)) for into in drawn]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [request_id for into in drawn for request_id in into]
    assert len(every) == len(set(every)) == 120_000


def test_threads_that_ask_first_at_the_same_moment_share_one_id_source(monkeypatch):
    """A worker's first requests arrive on several threads at once: they must not each start
    a sequence of their own (all of them would hand out `<tag>0000000000000000`)."""
    process_identity._forget()  # as in a freshly forked worker: no source yet
    real_tag = process_identity.tag

    def slow_tag() -> str:  # widens the moment between "no source yet" and making one
        time.sleep(0.05)
        return real_tag()

    monkeypatch.setattr(process_identity, "tag", slow_tag)
    start = threading.Barrier(8)
    first_ids: list[str] = []

    def first_request() -> None:
        start.wait()
        first_ids.append(next(process_identity.request_ids()))

    threads = [threading.Thread(target=first_request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(first_ids) == len(set(first_ids)) == 8, first_ids

"""make bench-instructions — instructions per request, this app against the bare Flask app.

`make bench` measures what a user feels, throughput, through this shared machine's noise: a
single run lands within ±3-4 % of another. This counts what the code costs instead:
valgrind's callgrind counts the instructions one gunicorn worker (the production settings,
one worker) executes for N requests, after a warm-up, for this app and for the bare app of
the throughput bench, and prints the ratios. The count is the median of five windows of
N/5 requests: windows agree within about 0.5 %, but now and then one holds a full pass of
the cyclic garbage collector (+10-15 % in that window), which the median drops. So a change
of 1-2 % shows. Kernel time is not counted (gthread's thread hand-offs and the sockets,
about the same for both apps); even so, the throughput ratio lands close to the instruction
ratio, lately just below it (README, Performance).

It exits non-zero when this app needs more instructions than its budget allows: a
regression guard that no noisy neighbour can trip.
"""

import argparse
import http.client
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from bench import (  # the throughput bench's own
    APPS,
    BARE_PATH,
    CASE_PATHS,
    READY_PATHS,
    predict_body,
    server_env,
)
from launch import ROOT, free_port, gunicorn_command, wait_until_up

sys.path.insert(0, str(ROOT))
from app.process_metrics import children_of  # needs the root on the path, added above

# bare / this app, at least: about 5 % below what was measured (1,000 requests): /healthz
# 0.960, predict 0.853. Re-based when sessions were switched off, the probes left their
# blueprint and orjson took over predict's JSON (from 0.944 and 0.799).
BUDGETS = {"healthz": 0.91, "predict": 0.81}
CONNECTIONS = 4


class CountedServer:
    """One gunicorn (one worker) under callgrind; `instructions()` reads the worker's count."""

    def __init__(self, name: str, workdir: Path) -> None:
        self.name = name
        self.port = free_port()
        # callgrind_control finds the run by a path made of $USER and $HOST, so it gets the
        # very environment valgrind got (HOST is also gunicorn's bind address).
        self.env = server_env(name, self.port, workdir, workers=1, DRAIN_SECONDS="0")
        valgrind = [
            "valgrind",
            "--tool=callgrind",
            "--trace-children=yes",  # the worker is a fork of the master
            f"--callgrind-out-file={workdir}/callgrind-{name}.%p",
        ]
        self.process = subprocess.Popen(
            [*valgrind, *gunicorn_command(APPS[name])],
            cwd=ROOT,
            env=self.env,
            stdout=(workdir / f"access-{name}.log").open("wb"),
            stderr=(workdir / f"valgrind-{name}.log").open("wb"),
        )

    def wait_until_up(self) -> None:
        url = f"http://127.0.0.1:{self.port}{READY_PATHS[self.name]}"
        problem = wait_until_up(url, self.process, timeout=300)
        if problem:
            raise SystemExit(f"bench-instructions: the server under valgrind {problem}")

    def instructions(self) -> int:
        """Instructions the worker has executed so far, all its threads together."""
        (worker,) = children_of(self.process.pid)
        out = subprocess.run(
            ["callgrind_control", "-e", "Ir", str(worker)],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        counts = re.findall(r"^\s+Th \d+\s+([\d,]+)", out, re.MULTILINE)
        if not counts:
            raise SystemExit(f"bench-instructions: no count from callgrind_control:\n{out}")
        return sum(int(count.replace(",", "")) for count in counts)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=120)


def send(port: int, path: str, body: bytes | None, requests: int) -> None:
    """`requests` requests over CONNECTIONS keep-alive connections at once, as wrk sends."""
    failures: list[str] = []

    def one_connection(count: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        headers = {"Content-Type": "application/json"} if body else {}
        for _ in range(count):
            connection.request("POST" if body else "GET", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                failures.append(f"{path}: {response.status}")
        connection.close()

    threads = [
        threading.Thread(target=one_connection, args=(requests // CONNECTIONS,))
        for _ in range(CONNECTIONS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"bench-instructions: {len(failures)} failed requests, {failures[0]}")


def per_request(server: CountedServer, path: str, body: bytes | None, args) -> float:
    """The median over `args.windows` windows of the instructions per request: a window in
    which the cyclic garbage collector makes a full pass (millions of instructions, now and
    then) would otherwise move the figure by a few per cent."""
    send(server.port, path, body, args.warmup)  # lazy imports and caches, first series
    size = args.requests // args.windows // CONNECTIONS * CONNECTIONS
    windows = []
    for _ in range(args.windows):
        before = server.instructions()
        send(server.port, path, body, size)
        windows.append((server.instructions() - before) / size)
    return statistics.median(windows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="counted requests per case")
    parser.add_argument("--warmup", type=int, default=200, help="requests before counting")
    parser.add_argument("--windows", type=int, default=5, help="counted windows (median)")
    args = parser.parse_args()
    for tool in ("valgrind", "callgrind_control"):
        if not shutil.which(tool):
            raise SystemExit(
                f"bench-instructions: {tool} is not installed (apt-get install valgrind)"
            )

    body = predict_body().encode()
    cases = {"healthz": (CASE_PATHS["healthz"], None), "predict": (CASE_PATHS["predict"], body)}
    counts: dict[str, dict[str, float]] = {}
    workdir = Path(tempfile.mkdtemp(prefix="lifecycle-lab-instructions-"))
    try:
        for name in APPS:  # one server at a time: valgrind is slow enough alone
            server = CountedServer(name, workdir)
            try:
                server.wait_until_up()
                for case, (path, case_body) in cases.items():
                    counted_path = path if name == "app" else BARE_PATH
                    counts.setdefault(case, {})[name] = per_request(
                        server, counted_path, case_body, args
                    )
            finally:
                server.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"instructions per request in one worker ({args.requests} requests, callgrind):")
    failed = False
    for case, by_app in counts.items():
        ratio = by_app["bare"] / by_app["app"]
        within = ratio >= BUDGETS[case]
        failed |= not within
        print(
            f"  {case:8s} this app {by_app['app'] / 1000:7.1f}k  bare {by_app['bare'] / 1000:7.1f}k"
            f"   bare/app {ratio:.3f} (budget ≥ {BUDGETS[case]:.2f}, "
            f"{'ok' if within else 'OVER BUDGET'})"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

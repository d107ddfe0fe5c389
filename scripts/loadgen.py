#!/usr/bin/env python3
"""Load generator for Lifecycle Lab: traffic that makes the dashboards and alerts move.

    python scripts/loadgen.py --mode normal --rate 10 --duration 60
    python scripts/loadgen.py --mode errors   # chaos 500s + bad requests (400/404/415)
    python scripts/loadgen.py --mode slow     # chaos latency on every /api/ request
    python scripts/loadgen.py --mode drift    # inputs shifted away from the training data

Normal traffic replays random rows of the training data (data/wine.csv), so every
training-decile bin gets ~10 % of the values and the drift index stays low. Drift traffic
applies ml.drift.shift_features (the same shift `python -m ml simulate-drift` uses) to
those rows. `errors` and `slow` switch the service's chaos toggles on at the start and back
off at the end (also on Ctrl-C).

Standard library only: it runs in a bare Python container too (copy `scripts/loadgen.py`,
`ml/__init__.py`, `ml/drift.py` and the CSV, or mount the repository).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import queue
import random
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODES = ("normal", "errors", "slow", "drift")
PREDICT = "/api/v1/predict"


# --- what to send -------------------------------------------------------------------------


def load_rows(path: Path) -> list[dict[str, float]]:
    """Feature rows of the training CSV (the `label` column is dropped)."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [
            {name: float(value) for name, value in row.items() if name != "label"}
            for row in csv.DictReader(handle)
        ]
    if not rows:
        raise SystemExit(f"loadgen: no rows in {path}")
    return rows


def drift_function():
    """ml.drift.shift_features, the project's one definition of drifted input."""
    sys.path.insert(0, str(ROOT))
    try:
        from ml.drift import shift_features
    except ImportError as error:  # a copied-out loadgen without ml/drift.py
        message = f"loadgen: --mode drift needs ml/drift.py next to scripts/ ({error})"
        raise SystemExit(message) from None
    return shift_features


@dataclass
class Request:
    method: str
    path: str
    body: bytes | None = None
    content_type: str = "application/json"


def predict_request(features: dict[str, float]) -> Request:
    return Request("POST", PREDICT, json.dumps({"features": features}).encode())


# Requests a careless client sends: each must get a 4xx, never a 5xx.
BAD_REQUESTS = (
    Request("POST", PREDICT, b"{not json", "application/json"),  # 400
    Request("POST", PREDICT, b"alcohol=13", "text/plain"),  # 415
    Request("POST", PREDICT, json.dumps({"features": {"alcohol": "strong"}}).encode()),  # 400
    Request("GET", "/api/v1/no-such-route"),  # 404
)


class Traffic:
    """Picks the next request for a mode. Seeded, so a run can be repeated."""

    def __init__(self, mode: str, rows: list[dict[str, float]], seed: int, bad_share: float):
        self.mode = mode
        self.rows = rows
        self.random = random.Random(seed)  # reproducible traffic  # nosec B311
        self.bad_share = bad_share
        self.shift = drift_function() if mode == "drift" else None
        self.lock = threading.Lock()

    def features(self) -> dict[str, float]:
        with self.lock:
            row = self.random.choice(self.rows)
        return self.shift(row) if self.shift else dict(row)

    def next(self) -> Request:
        if self.mode == "errors":
            with self.lock:
                bad = self.random.random() < self.bad_share
                choice = self.random.choice(BAD_REQUESTS)
            if bad:
                return choice
        return predict_request(self.features())


# --- how to send it -----------------------------------------------------------------------


def send(base_url: str, request: Request, timeout: float) -> int:
    """The HTTP status of one request; 0 when no answer came (refused, timed out)."""
    headers = {"Content-Type": request.content_type} if request.body is not None else {}
    call = urllib.request.Request(
        base_url + request.path, data=request.body, headers=headers, method=request.method
    )
    try:
        with urllib.request.urlopen(call, timeout=timeout) as response:  # http(s) only  # nosec B310
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        error.read()
        return error.code
    except (urllib.error.URLError, OSError):
        return 0


def set_chaos(base_url: str, toggle: str, body: dict) -> bool:
    """Switch a chaos toggle; False (with a notice) when the service has chaos disabled."""
    request = Request("POST", f"/chaos/{toggle}", json.dumps(body).encode())
    status = send(base_url, request, timeout=5)
    if status != 200:
        print(f"loadgen: POST /chaos/{toggle} answered {status}; is CHAOS_ENABLED=true?")
    return status == 200


@dataclass
class Stats:
    started: float = field(default_factory=time.monotonic)
    statuses: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    skipped: int = 0  # ticks dropped because every worker was busy
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: int, seconds: float) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.latencies.append(seconds)

    def line(self, mode: str, duration: float) -> str:
        with self.lock:
            sent = sum(self.statuses.values())
            classes = Counter(f"{s // 100}xx" if s else "none" for s in self.statuses.elements())
            recent = sorted(self.latencies[-500:])
        elapsed = time.monotonic() - self.started
        p50 = f"{recent[len(recent) // 2] * 1000:.0f}ms" if recent else "-"
        parts = " ".join(f"{name}={count}" for name, count in sorted(classes.items()))
        return (
            f"[loadgen {mode}] {elapsed:5.1f}/{duration:.0f}s sent={sent} "
            f"({sent / max(elapsed, 1e-9):.1f}/s) {parts} p50={p50} skipped={self.skipped}"
        )


def run(args: argparse.Namespace, out=sys.stderr) -> Stats:
    rows = load_rows(args.data)
    traffic = Traffic(args.mode, rows, args.seed, args.bad_share)
    stats = Stats()
    jobs: queue.Queue = queue.Queue(maxsize=args.workers)
    stop = threading.Event()

    def worker() -> None:
        while True:
            item = jobs.get()
            if item is None:
                return
            begin = time.monotonic()
            status = send(args.url, item, args.timeout)
            stats.record(status, time.monotonic() - begin)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.workers)]
    for thread in threads:
        thread.start()

    chaos_on = False
    if args.mode == "errors":
        chaos_on = set_chaos(args.url, "errors", {"rate": args.error_rate})
    elif args.mode == "slow":
        chaos_on = set_chaos(args.url, "latency", {"seconds": args.latency})

    interactive = out.isatty()
    next_progress = 0.0
    try:
        interval = 1.0 / args.rate
        tick = time.monotonic()
        end = tick + args.duration
        while not stop.is_set() and tick < end:
            try:
                jobs.put_nowait(traffic.next())
            except queue.Full:
                stats.skipped += 1
            now = time.monotonic()
            if now >= next_progress:
                end_of_line = "\r" if interactive else "\n"  # a tty gets one updating line
                print(stats.line(args.mode, args.duration), end=end_of_line, file=out)
                next_progress = now + (1 if interactive else 5)
            tick += interval
            time.sleep(max(0.0, tick - time.monotonic()))
    except KeyboardInterrupt:
        print("\nloadgen: interrupted", file=out)
    finally:
        for _ in threads:
            jobs.put(None)
        for thread in threads:
            thread.join(timeout=args.timeout + 1)
        if chaos_on:  # leave the service as we found it
            if args.mode == "errors":
                set_chaos(args.url, "errors", {"rate": 0})
            else:
                set_chaos(args.url, "latency", {"seconds": 0})
        print(("\n" if interactive else "") + stats.line(args.mode, args.duration), file=out)
    return stats


def positive(kind):
    def parse(text: str):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value

    return parse


def share(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--url", default="http://127.0.0.1:8000", help="base URL of the service")
    add("--mode", choices=MODES, default="normal")
    add("--rate", type=positive(float), default=10.0, help="requests per second")
    add("--duration", type=positive(float), default=60.0, help="seconds, then stop")
    add("--workers", type=positive(int), help="concurrent requests (default: enough for --rate)")
    add("--timeout", type=positive(float), default=10.0, help="per request, seconds")
    add("--seed", type=int, default=42)
    add("--data", type=Path, default=ROOT / "data" / "wine.csv")
    add("--error-rate", type=share, default=0.3, help="errors mode: chaos 500 share")
    add("--bad-share", type=share, default=0.2, help="errors mode: bad requests share")
    add("--latency", type=positive(float), default=0.5, help="slow mode: seconds added")
    args = parser.parse_args(argv)
    args.url = args.url.rstrip("/")
    if not args.url.startswith(("http://", "https://")):
        parser.error(f"--url must start with http:// or https://, got {args.url}")
    if args.workers is None:  # Little's law: rate x time per request, with room to spare
        seconds = 0.05 + (args.latency if args.mode == "slow" else 0)
        args.workers = max(4, math.ceil(args.rate * seconds * 2))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stats = run(args)
    answered = sum(count for status, count in stats.statuses.items() if status)
    return 0 if answered else 1  # the service never answered: say so by the exit code


if __name__ == "__main__":
    sys.exit(main())

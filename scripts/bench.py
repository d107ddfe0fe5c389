"""make bench — this app against a bare Flask app, under the same gunicorn settings.

Both servers run side by side and are loaded in turn with wrk, many short runs each, the
order flipped every round, so a noisy neighbour or a slow drift of the shared machine hits
both alike. We report the ratio of the medians (this app / bare app) of throughput and p99
latency, never absolute numbers. Targets: /healthz ≥ 0.95 and /api/v1/predict ≥ 0.85 of the
bare app's throughput.

Why one worker: with several, the kernel hands each of wrk's connections to whichever
worker accepts first, and now and then one worker gets them all; that run is bound to one
core and shows half the throughput, whichever app it is. On the 2-core CI machine this
lottery spread single runs of the bare app by 20 % (coefficient of variation), against 5 %
with one worker. Workers are independent processes, so one worker's throughput is what the
app's code decides; the thread count stays the production one (GUNICORN_THREADS). Why
medians of single runs: they ignore the odd run a noisy neighbour spoiled, where a mean (or
one long run) would not. `--control` adds an A/A case, the bare app against a second bare
app: how far from 1.00 the same code lands on this machine, right now.
"""

import argparse
import json
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from launch import ROOT, gunicorn_command, gunicorn_env, wait_until_up
from loadgen import load_rows  # the sibling script: same rows as the load generator

TARGETS = {"healthz": 0.95, "predict": 0.85}
PORTS = {"app": 18761, "bare": 18762, "bare-2": 18763}
APPS = {"app": "app:create_app()", "bare": "scripts.bench_bare_app:app"}


def start(name: str, workdir: Path, workers: int) -> subprocess.Popen:
    # The production configuration, as deployed (chaos off, access log on), but for the
    # number of workers (see above).
    env = gunicorn_env(
        PORTS[name],
        workdir / f"metrics-{name}",
        APP_ENV="production",
        LOG_LEVEL="INFO",
        WEB_CONCURRENCY=str(workers),
    )
    # Access lines go to a file, as a container runtime would take them, not to a terminal.
    log = (workdir / f"access-{name}.log").open("wb")
    return subprocess.Popen(
        gunicorn_command(APPS[name.removesuffix("-2")]),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.DEVNULL,
    )


def wrk(url: str, seconds: int, connections: int, lua: Path | None) -> tuple[float, float]:
    """One wrk run: (requests per second, p99 latency in ms)."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if lua:
        command[1:1] = ["-s", str(lua)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()
    p99_ms = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"bench: {errors.group(1)} failed responses from {url}\n{out}")
    return rps, p99_ms


def post_script(workdir: Path) -> Path:
    body = json.dumps({"features": load_rows(ROOT / "data" / "wine.csv")[0]})
    script = workdir / "post.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = {json.dumps(body)}\n"
    )
    return script


def compare(name, subject_url, bare_url, lua, args) -> dict:
    """Interleaved runs of the subject and the bare app; the ratios of their medians."""
    runs = {"subject": [], "bare": []}
    order = [("subject", subject_url), ("bare", bare_url)]
    for url in (subject_url, bare_url):  # warm-up: first requests import and build lazily
        wrk(url, 1, args.connections, lua)
    for round_no in range(1, args.rounds + 1):
        for who, url in order if round_no % 2 else reversed(order):
            runs[who].append(wrk(url, args.seconds, args.connections, lua))
        (s_rps, s_p99), (b_rps, b_p99) = runs["subject"][-1], runs["bare"][-1]
        print(
            f"  {name:8s} round {round_no:2d}: {s_rps:7.0f} req/s p99 {s_p99:6.1f} ms | "
            f"bare {b_rps:7.0f} req/s p99 {b_p99:6.1f} ms",
            flush=True,
        )

    def median(who, field):
        return statistics.median(run[field] for run in runs[who])

    return {
        "throughput": median("subject", 0) / median("bare", 0),
        "p99": median("subject", 1) / median("bare", 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9, help="runs per server and case")
    parser.add_argument(
        "--seconds",
        type=int,
        default=2,
        help="length of one wrk run (whole seconds, as wrk takes them)",
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers per server")
    parser.add_argument("--control", action="store_true", help="add an A/A case: bare vs bare")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("bench: wrk is not installed (apt-get install wrk)")

    workdir = Path(tempfile.mkdtemp(prefix="lifecycle-lab-bench-"))
    names = ["app", "bare", "bare-2"] if args.control else ["app", "bare"]
    servers = [start(name, workdir, args.workers) for name in names]
    url = {name: f"http://127.0.0.1:{PORTS[name]}" for name in names}
    try:
        for name, server in zip(names, servers, strict=True):
            path = "/readyz" if name == "app" else "/bare"
            problem = wait_until_up(url[name] + path, server)
            if problem:
                raise SystemExit(f"bench: the {name} server {problem}")
        lua = post_script(workdir)
        cases = {
            "healthz": (f"{url['app']}/healthz", f"{url['bare']}/bare", None),
            "predict": (f"{url['app']}/api/v1/predict", f"{url['bare']}/bare", lua),
        }
        if args.control:
            cases["control"] = (f"{url['bare-2']}/bare", f"{url['bare']}/bare", None)
        results = {name: compare(name, *case, args) for name, case in cases.items()}
    finally:
        for server in servers:
            server.send_signal(signal.SIGINT)
        for server in servers:
            server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)

    print(
        f"\nratio to the bare Flask app ({args.workers} worker(s) each), "
        f"medians of {args.rounds} interleaved runs:"
    )
    failed = False
    for name, result in results.items():
        target = TARGETS.get(name)
        verdict = "A/A control: 1.00 is no difference"
        if target:
            verdict = f"target ≥ {target:.2f}, " + (
                "ok" if result["throughput"] >= target else "BELOW TARGET"
            )
            failed |= result["throughput"] < target
        print(
            f"  {name:8s} throughput {result['throughput']:5.2f} ({verdict})"
            f"   p99 latency {result['p99']:5.2f}x"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

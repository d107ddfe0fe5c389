"""make bench — this app against a bare Flask app, under the same gunicorn settings.

Both servers run side by side and are loaded in turn with wrk, in rounds: one short run of
each, back to back, the order flipped every round. A round's ratio (this app / bare app) pairs
two runs a second apart, so a slow stretch of the shared machine hits both alike. We report
the median of the rounds' ratios of throughput and p99 latency, never absolute numbers.
Targets: /healthz ≥ 0.95 and /api/v1/predict ≥ 0.85 of the bare app's throughput.

Why generations: an A/A ratio (the bare app against a second copy of itself) stayed about
2 % off for as long as the pair ran, whatever the number of rounds, and came back to 1.00
once both were restarted; a server process keeps its own hash seed and memory layout for
its life, the likely reason. So the rounds are spread over several generations of freshly
started servers, and the median is taken over all of them.

Why one worker: with several, the kernel hands each of wrk's connections to whichever
worker accepts first, and now and then one worker gets them all; that run is bound to one
core and shows half the throughput, whichever app it is. On the 2-core CI machine this
lottery spread single runs of the bare app by 20 % (coefficient of variation), against 5 %
with one worker. Workers are independent processes, so one worker's throughput is what the
app's code decides; the thread count stays the production one (GUNICORN_THREADS).
`--control` adds an A/A case, the bare app against a second bare app: how far from 1.00 the
same code lands on this machine, right now.
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

from launch import ROOT, free_port, gunicorn_command, gunicorn_env, wait_until_up
from loadgen import load_rows  # the sibling script: same rows as the load generator

TARGETS = {"healthz": 0.95, "predict": 0.85}
APPS = {"app": "app:create_app()", "bare": "scripts.bench_bare_app:app"}
# What both benches request: this app's path per case, and the bare app's one route.
CASE_PATHS = {"healthz": "/healthz", "predict": "/api/v1/predict"}
BARE_PATH = "/bare"
READY_PATHS = {"app": "/readyz", "bare": BARE_PATH}  # 200 once the server can be loaded


def app_of(server: str) -> str:
    """The app (a key of APPS) a server runs: "bare-2" is the A/A control's second bare app."""
    return server.removesuffix("-2")


def server_env(name: str, port: int, workdir: Path, workers: int, **settings: str) -> dict:
    """The production configuration, as deployed (chaos off, access log on), but for the
    number of workers (see above); `settings` add to it."""
    return gunicorn_env(
        port,
        workdir / f"metrics-{name}",
        APP_ENV="production",
        LOG_LEVEL="INFO",
        WEB_CONCURRENCY=str(workers),
        **settings,
    )


def predict_body() -> str:
    """The JSON body both benches post to /api/v1/predict: the first row of the dataset."""
    return json.dumps({"features": load_rows(ROOT / "data" / "wine.csv")[0]})


def start(name: str, port: int, workdir: Path, workers: int) -> subprocess.Popen:
    # Access lines go to a file, as a container runtime would take them, not to a terminal.
    log = (workdir / f"access-{name}.log").open("wb")
    return subprocess.Popen(
        gunicorn_command(APPS[app_of(name)]),
        cwd=ROOT,
        env=server_env(name, port, workdir, workers),
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
    body = predict_body()
    script = workdir / "post.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = {json.dumps(body)}\n"
    )
    return script


def paired_rounds(subject_url, bare_url, lua, args) -> list[tuple[float, float]]:
    """Rounds of back-to-back runs of the subject and the bare app: each round's ratios
    (throughput, p99 latency), subject / bare."""
    rounds = []
    order = [subject_url, bare_url]
    for url in order:  # warm-up: the first requests import and build lazily
        wrk(url, 1, args.connections, lua)
    for round_no in range(args.rounds):
        runs = {
            url: wrk(url, args.seconds, args.connections, lua)
            for url in (order if round_no % 2 == 0 else reversed(order))
        }
        (s_rps, s_p99), (b_rps, b_p99) = runs[subject_url], runs[bare_url]
        rounds.append((s_rps / b_rps, s_p99 / b_p99))
    return rounds


def generation(number, workdir, args, names) -> dict[str, list[tuple[float, float]]]:
    """Start fresh servers, run every case's rounds against them, stop them."""
    here = workdir / f"generation-{number}"
    here.mkdir()
    ports = {name: free_port() for name in names}
    servers = [start(name, ports[name], here, args.workers) for name in names]
    url = {name: f"http://127.0.0.1:{ports[name]}" for name in names}
    try:
        for name, server in zip(names, servers, strict=True):
            problem = wait_until_up(url[name] + READY_PATHS[app_of(name)], server)
            if problem:
                raise SystemExit(f"bench: the {name} server {problem}")
        lua = post_script(here)
        cases = {
            "healthz": (url["app"] + CASE_PATHS["healthz"], url["bare"] + BARE_PATH, None),
            "predict": (url["app"] + CASE_PATHS["predict"], url["bare"] + BARE_PATH, lua),
        }
        if args.control:
            cases["control"] = (url["bare-2"] + BARE_PATH, url["bare"] + BARE_PATH, None)
        return {case: paired_rounds(*urls, args) for case, urls in cases.items()}
    finally:
        for server in servers:
            server.send_signal(signal.SIGINT)
        for server in servers:
            server.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--generations", type=int, default=3, help="times the servers are started afresh"
    )
    parser.add_argument("--rounds", type=int, default=8, help="rounds per case and generation")
    parser.add_argument(
        "--seconds",
        type=int,
        default=1,
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
    results: dict[str, list[list[tuple[float, float]]]] = {}
    try:
        for number in range(1, args.generations + 1):
            for case, rounds in generation(number, workdir, args, names).items():
                results.setdefault(case, []).append(rounds)
                print(
                    f"  generation {number}  {case:8s} throughput ratio per round: "
                    + " ".join(f"{rps:.2f}" for rps, _ in rounds),
                    flush=True,
                )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print(
        f"\nratio to the bare Flask app ({args.workers} worker(s) each): median of "
        f"{args.generations} x {args.rounds} rounds (in brackets: the generations' own medians)"
    )
    failed = False
    for case, generations in results.items():
        every = [ratios for rounds in generations for ratios in rounds]
        throughput = statistics.median(rps for rps, _ in every)
        p99 = statistics.median(latency for _, latency in every)
        per_generation = ", ".join(
            f"{statistics.median(rps for rps, _ in rounds):.2f}" for rounds in generations
        )
        target = TARGETS.get(case)
        verdict = "A/A control: 1.00 is no difference"
        if target:
            verdict = f"target ≥ {target:.2f}, " + (
                "ok" if throughput >= target else "BELOW TARGET"
            )
            failed |= throughput < target
        print(
            f"  {case:8s} throughput {throughput:5.2f} [{per_generation}] ({verdict})"
            f"   p99 latency {p99:5.2f}x"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

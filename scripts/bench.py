"""make bench — this app against two baselines, under the same gunicorn config, as ratios.

Three apps, one request each: this app's /healthz and /api/v1/predict, and the one route
(/ping) of each baseline (scripts/bench_baselines.py):
  * a bare Flask app, no metrics, no logs: the floor, what Flask and gunicorn alone cost;
  * the same app instrumented with prometheus_flask_exporter, as its gunicorn recipe says,
    with gunicorn's access log on: what a user who wants request metrics and request logs
    would otherwise run. This app writes a JSON access line for every request; a peer that
    logs nothing would bill this app for its logs alone.
Targets, throughput of this app / the baseline's:
  * /healthz ≥ 0.85 of the bare app: request id, metrics and the JSON access line cost little;
  * /healthz ≥ 0.95 of the exporter: ours costs about what the library's does;
  * predict ≥ 0.75 of the bare app: predict does real work (parse, validate, model, metrics).
All servers get the same settings: the production ones (app/gunicorn.conf.py: gthread,
GUNICORN_THREADS, gunicorn's own access log off), one worker each — but for the exporter's
access log, turned on through gunicorn's documented GUNICORN_CMD_ARGS.

The servers run side by side and are loaded in turn with wrk, in rounds: one short run of
each, back to back, the order flipped every round. A round's ratio (this app / baseline)
pairs two runs a second apart, so a slow stretch of the shared machine hits both alike. We
report the median of the rounds' ratios of throughput and p99 latency, never absolute
numbers.

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
import urllib.request
from pathlib import Path

from bench_baselines import PATH as BASELINE_PATH
from launch import ROOT, free_port, gunicorn_command, gunicorn_env

from app.__main__ import wait_until_up

sys.path.insert(0, str(ROOT))  # the repository's ml package, when run as a script
from ml.samples import load_rows  # the same rows the load generator sends

APPS = {  # None: the service itself, started as `make run` starts it (python -m app)
    "app": None,
    "bare": "scripts.bench_baselines:create_bare_app()",
    "exporter": "scripts.bench_baselines:create_exporter_app()",
}
READY_PATHS = {"app": "/readyz", "bare": BASELINE_PATH, "exporter": BASELINE_PATH}
# gunicorn's access log, one line per request to stdout (as this app writes its own): the
# exporter app as a user who wants request logs runs it. The bare app stays the floor.
EXTRA_SETTINGS = {"exporter": {"GUNICORN_CMD_ARGS": "--access-logfile -"}}
PREDICT_PATH = "/api/v1/predict"  # posted with a row of the dataset, to the baselines too
# One comparison a line: this app's path against a baseline app's /ping.
CASES = {
    "healthz vs bare": ("/healthz", "bare"),
    "healthz vs exporter": ("/healthz", "exporter"),
    "predict vs bare": (PREDICT_PATH, "bare"),
}
CONTROL = "bare vs bare"  # --control: a second bare app against the first (A/A)
TARGETS = {"healthz vs bare": 0.85, "healthz vs exporter": 0.95, "predict vs bare": 0.75}


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
        DRAIN_SECONDS="0",  # nothing balances load here: stop as soon as asked
        WEB_CONCURRENCY=str(workers),
        **settings,
    )


def predict_body() -> str:
    """The JSON body posted in the predict case (to both servers): the dataset's first row."""
    return json.dumps({"features": load_rows(ROOT / "data" / "wine.csv")[0]})


def start(name: str, port: int, workdir: Path, workers: int) -> subprocess.Popen:
    # Access lines go to a file, as a container runtime would take them, not to a terminal.
    log = (workdir / f"access-{name}.log").open("wb")
    return subprocess.Popen(
        gunicorn_command(APPS[app_of(name)]),
        cwd=ROOT,
        env=server_env(name, port, workdir, workers, **EXTRA_SETTINGS.get(app_of(name), {})),
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


def paired_rounds(subject_url, baseline_url, lua, args) -> list[tuple[float, float]]:
    """Rounds of back-to-back runs of the subject and the baseline: each round's ratios
    (throughput, p99 latency), subject / baseline."""
    rounds = []
    order = [subject_url, baseline_url]
    for url in order:  # warm-up: the first requests import and build lazily
        wrk(url, 1, args.connections, lua)
    for round_no in range(args.rounds):
        runs = {
            url: wrk(url, args.seconds, args.connections, lua)
            for url in (order if round_no % 2 == 0 else reversed(order))
        }
        (s_rps, s_p99), (b_rps, b_p99) = runs[subject_url], runs[baseline_url]
        rounds.append((s_rps / b_rps, s_p99 / b_p99))
    return rounds


def exporter_counted(url: str) -> bool:
    """Did the exporter app count the requests it served? Else its ratio compares nothing."""
    with urllib.request.urlopen(url + "/metrics", timeout=5) as response:  # loopback URL  # nosec B310
        metrics = response.read().decode()
    return (
        f'flask_http_request_duration_seconds_count{{method="GET",status="200",'
        f'url_rule="{BASELINE_PATH}"}}' in metrics
    )


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
            case: (
                url["app"] + path,
                url[baseline] + BASELINE_PATH,
                lua if path == PREDICT_PATH else None,
            )
            for case, (path, baseline) in CASES.items()
        }
        if args.control:
            cases[CONTROL] = (url["bare-2"] + BASELINE_PATH, url["bare"] + BASELINE_PATH, None)
        results = {case: paired_rounds(*urls, args) for case, urls in cases.items()}
        if not exporter_counted(url["exporter"]):
            raise SystemExit("bench: the exporter app's /metrics did not count its requests")
        if BASELINE_PATH not in (here / "access-exporter.log").read_text():
            raise SystemExit("bench: the exporter app wrote no access line")
        return results
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)  # the graceful stop, as a platform stops one
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
    names = [*APPS, "bare-2"] if args.control else list(APPS)
    results: dict[str, list[list[tuple[float, float]]]] = {}
    try:
        for number in range(1, args.generations + 1):
            for case, rounds in generation(number, workdir, args, names).items():
                results.setdefault(case, []).append(rounds)
                print(
                    f"  generation {number}  {case:19s} throughput ratio per round: "
                    + " ".join(f"{rps:.2f}" for rps, _ in rounds),
                    flush=True,
                )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print(
        f"\nthis app / baseline, {args.workers} worker(s) each: median of {args.generations} x "
        f"{args.rounds} rounds (in brackets: the generations' own medians)"
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
            f"  {case:19s} throughput {throughput:5.2f} [{per_generation}] ({verdict})"
            f"   p99 latency {p99:5.2f}x"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""make bench — this app against a bare Flask app, under the same gunicorn settings.

Both servers run side by side and are loaded alternately with wrk, round after round, so a
noisy neighbour slows both alike; we report throughput and p99 latency as ratios to the bare
app (median of the rounds), never absolute numbers. Targets: /healthz ≥ 0.95 and
/api/v1/predict ≥ 0.85 of the bare app's throughput.
"""

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from loadgen import load_rows  # the sibling script: same rows as the load generator

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).parent / "gunicorn"
TARGETS = {"healthz": 0.95, "predict": 0.85}


def start(app_spec: str, port: int, workdir: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / f"metrics-{port}"),
        # The production configuration, as deployed: chaos off, access log on.
        "APP_ENV": "production",
        "LOG_LEVEL": "INFO",
        "PYTHONPATH": str(ROOT),
    }
    # Access lines go to a file, as a container runtime would take them, not to a terminal.
    log = (workdir / f"access-{port}.log").open("wb")
    return subprocess.Popen(
        [str(GUNICORN), "--config", "app/gunicorn.conf.py", app_spec],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.DEVNULL,
    )


def wait_up(url: str) -> None:
    for _ in range(300):
        try:
            with urllib.request.urlopen(url, timeout=1):  # loopback URL we built  # nosec B310
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"bench: server at {url} did not start")


def wrk(url: str, seconds: int, connections: int, lua: Path | None) -> tuple[float, float]:
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("bench: wrk is not installed (apt-get install wrk)")

    workdir = Path(tempfile.mkdtemp(prefix="lifecycle-lab-bench-"))
    app_port, bare_port = 18761, 18762
    servers = [
        start("app:create_app()", app_port, workdir),
        start("scripts.bench_bare_app:app", bare_port, workdir),
    ]
    try:
        wait_up(f"http://127.0.0.1:{app_port}/readyz")
        wait_up(f"http://127.0.0.1:{bare_port}/bare")
        lua = post_script(workdir)
        cases = {
            "healthz": (f"http://127.0.0.1:{app_port}/healthz", None),
            "predict": (f"http://127.0.0.1:{app_port}/api/v1/predict", lua),
        }
        bare_url = f"http://127.0.0.1:{bare_port}/bare"
        ratios = {name: {"throughput": [], "p99": []} for name in cases}
        for round_no in range(1, args.rounds + 1):
            for name, (url, script) in cases.items():
                base_rps, base_p99 = wrk(bare_url, args.seconds, args.connections, script)
                rps, p99 = wrk(url, args.seconds, args.connections, script)
                ratios[name]["throughput"].append(rps / base_rps)
                ratios[name]["p99"].append(p99 / base_p99)
                print(
                    f"round {round_no} {name:8s} app {rps:8.0f} req/s p99 {p99:6.1f} ms | "
                    f"bare {base_rps:8.0f} req/s p99 {base_p99:6.1f} ms",
                    flush=True,
                )
    finally:
        for server in servers:
            server.send_signal(signal.SIGINT)
        for server in servers:
            server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)

    print("\nmedian of", args.rounds, "rounds, as a ratio to the bare Flask app:")
    failed = False
    for name, values in ratios.items():
        throughput = statistics.median(values["throughput"])
        p99 = statistics.median(values["p99"])
        verdict = "ok" if throughput >= TARGETS[name] else "BELOW TARGET"
        failed |= throughput < TARGETS[name]
        print(
            f"  {name:8s} throughput {throughput:5.2f} (target ≥ {TARGETS[name]:.2f}, {verdict})"
            f"   p99 latency {p99:5.2f}x"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

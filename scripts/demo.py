#!/usr/bin/env python3
"""`make demo`: the whole monitoring loop on this machine, no containers needed.

Starts, on loopback:
  * the app under gunicorn (2 workers, chaos enabled),
  * Prometheus with monitoring/prometheus/prometheus.yml and its rules (unchanged), which
    also scrapes the environments `make deploy-podman` runs (lab 11),
  * Alertmanager with monitoring/alertmanager/alertmanager.yml (unchanged),
  * the drift bridge (scripts/alert_bridge.py) and a stand-in chat that prints messages,
  * locust, headless (scripts/locustfile.py), touring its normal -> chaos -> slow -> drift
    mixes; each leg's CSV stats land in build/locust/demo-<mix>_*.csv.
Ports come from those config files (one source of truth). State lives in .run/demo/.
Ctrl-C stops everything it started.

    python scripts/demo.py                  # the tour, until Ctrl-C
    python scripts/demo.py --mode drift     # one kind of traffic only
    python scripts/demo.py --duration 300   # stop by itself after 5 minutes
    python scripts/demo.py --no-app --interval 1s --mode none
        # around an app you run and redeploy yourself (`make run`, lab 9), no traffic,
        # scraped and evaluated every second
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml
from launch import ROOT, gunicorn_command, gunicorn_env  # the sibling script

from app.__main__ import wait_until_up

STATE = ROOT / ".run" / "demo"
PROMETHEUS_CONFIG = ROOT / "monitoring" / "prometheus" / "prometheus.yml"
ALERTMANAGER_CONFIG = ROOT / "monitoring" / "alertmanager" / "alertmanager.yml"
LOCUSTFILE = ROOT / "scripts" / "locustfile.py"
LOCUST_STATS = ROOT / "build" / "locust"
MIXES = ("normal", "chaos", "slow", "drift")  # user classes of the locustfile, <Mix>User
TOUR = [
    ("normal", 120),
    ("chaos", 90),
    ("normal", 60),
    ("slow", 90),
    ("normal", 60),
    ("drift", 300),
]


def say(message: str) -> None:
    print(f"[demo] {message}", flush=True)


def ports() -> dict[str, int]:
    """Every port of the demo, read from the configs the servers use."""
    prometheus = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    jobs = {
        job["job_name"]: job["static_configs"][0]["targets"][0]
        for job in prometheus["scrape_configs"]
    }
    alertmanager_target = prometheus["alerting"]["alertmanagers"][0]["static_configs"][0][
        "targets"
    ][0]
    alertmanager = yaml.safe_load(ALERTMANAGER_CONFIG.read_text())
    [bridge] = [r for r in alertmanager["receivers"] if r["name"] == "retrain-bridge"]
    bridge_url = urllib.parse.urlsplit(bridge["webhook_configs"][0]["url"])
    return {
        "app": int(jobs["lifecycle-lab"].rsplit(":", 1)[1]),
        "prometheus": int(jobs["prometheus"].rsplit(":", 1)[1]),
        "alertmanager": int(alertmanager_target.rsplit(":", 1)[1]),
        "bridge": bridge_url.port,
    }


def check_free(named_ports: dict[str, int]) -> None:
    for name, port in named_ports.items():
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                sys.exit(f"demo: port {port} ({name}) is already in use; stop what listens there")


def tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        sys.exit(
            f"demo: `{name}` is not installed "
            "(Debian: apt-get install prometheus prometheus-alertmanager)"
        )
    return found


def wait_http(url: str, proc: subprocess.Popen, name: str, timeout: float = 60) -> None:
    problem = wait_until_up(url, proc, timeout)
    if problem:
        sys.exit(f"demo: {name} {problem}; see {STATE / (name + '.log')}")


class ChatSink:
    """Stands in for Slack: prints what Alertmanager's chat receivers would post."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                for attachment in body.get("attachments", []):
                    print(
                        f"\n[chat {body.get('channel', '')}] {attachment.get('title', '')}",
                        flush=True,
                    )
                    print("  " + attachment.get("text", "").replace("\n", "\n  "), flush=True)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/chat"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class Demo:
    def __init__(self) -> None:
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.locust: subprocess.Popen | None = None
        self.stopping = threading.Event()

    def start(self, name: str, argv: list[str], cwd: Path = ROOT, env=None, log=True):
        output = (STATE / f"{name}.log").open("wb") if log else None
        proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT if log else None
        )
        self.procs.append((name, proc))
        return proc

    def stop(self) -> None:
        self.stopping.set()
        if self.locust and self.locust.poll() is None:
            try:  # Ctrl-C reached it too; it switches its chaos toggle off and exits
                self.locust.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.locust.send_signal(signal.SIGINT)
                try:
                    self.locust.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.locust.kill()
        for name, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=30)  # gunicorn drains first
                except subprocess.TimeoutExpired:
                    proc.kill()
            say(f"stopped {name}")

    def traffic(self, url: str, plan: list[tuple[str, float]], users: int, until: float) -> None:
        LOCUST_STATS.mkdir(parents=True, exist_ok=True)
        while not self.stopping.is_set():
            for mix, seconds in plan:
                seconds = int(min(seconds, until - time.monotonic()))
                if self.stopping.is_set() or seconds <= 0:
                    return
                stats = LOCUST_STATS / f"demo-{mix}"
                say(f"traffic: {mix} for {seconds}s (locust, {users} users; stats: {stats}_*.csv)")
                # `python -m locust`: the locust of this interpreter's venv. --only-summary:
                # one table at the end of each leg, not one every 2 s in the chat's terminal.
                argv = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless"]
                argv += ["--host", url, "--users", str(users), "--spawn-rate", str(users)]
                argv += ["--run-time", f"{seconds}s", "--csv", str(stats), "--only-summary"]
                self.locust = subprocess.Popen([*argv, f"{mix.capitalize()}User"])
                self.locust.wait()


def prometheus_config(interval: str | None) -> Path:
    """The config Prometheus reads: the repository's own, or - with --interval - a copy of it
    with shorter scrape and evaluation intervals (the rules and their windows unchanged)."""
    if not interval:
        return PROMETHEUS_CONFIG
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    config["global"].update(scrape_interval=interval, evaluation_interval=interval)
    config["rule_files"] = [str(PROMETHEUS_CONFIG.parent / f) for f in config["rule_files"]]
    # The copy lives elsewhere: its relative paths must still name the same files.
    for job in config["scrape_configs"]:
        for discovery in job.get("file_sd_configs", []):
            discovery["files"] = [str(PROMETHEUS_CONFIG.parent / f) for f in discovery["files"]]
    copy = STATE / "prometheus.yml"
    copy.write_text(yaml.safe_dump(config, sort_keys=False))
    return copy


def stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt  # `kill <pid>` stops the demo as cleanly as Ctrl-C


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("tour", *MIXES, "none"), default="tour")
    parser.add_argument(
        "--no-app", action="store_true", help="do not start the app: scrape the one you run"
    )
    parser.add_argument("--interval", help="scrape and evaluation interval, e.g. 1s")
    parser.add_argument(
        "--users", type=int, default=2, help="locust users, each 5-20 requests a second"
    )
    parser.add_argument("--duration", type=float, default=0, help="seconds; 0 = until Ctrl-C")
    args = parser.parse_args(argv)

    named = ports()
    # With --no-app the app's port is yours, already listening: only the others must be free.
    check_free({name: port for name, port in named.items() if not (args.no_app and name == "app")})
    prometheus_bin, alertmanager_bin = tool("prometheus"), tool("prometheus-alertmanager")
    # Each demo starts from empty series: an earlier run's drift would otherwise stay inside
    # the 30-minute PSI window and show up as drift in this one.
    shutil.rmtree(STATE / "prometheus", ignore_errors=True)
    for sub in ("metrics", "prometheus", "alertmanager/secrets"):
        (STATE / sub).mkdir(parents=True, exist_ok=True)
    chat = ChatSink()
    # The chat receivers read their URL from this file (relative to Alertmanager's working
    # directory): here a harmless local sink, in production a Slack/Mattermost webhook.
    (STATE / "alertmanager" / "secrets" / "chat-webhook-url").write_text(chat.url + "\n")

    demo = Demo()
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    app_url = f"http://127.0.0.1:{named['app']}"
    try:
        if not args.no_app:
            git = ["git", "log", "-1", "--format=%h %cI"]  # the commit and its time
            head = subprocess.run(git, cwd=ROOT, capture_output=True, text=True).stdout.split()
            git_sha, commit_time = head if len(head) == 2 else ("unknown", "unknown")
            app_env = gunicorn_env(
                named["app"],
                STATE / "metrics",
                WEB_CONCURRENCY=os.environ.get("WEB_CONCURRENCY", "2"),
                CHAOS_ENABLED="true",
                APP_ENV="development",
                GIT_SHA=git_sha,
                GIT_COMMIT_TIME=commit_time,
            )
            app = demo.start("app", gunicorn_command(), env=app_env)
            wait_http(f"{app_url}/readyz", app, "app")
        prometheus = demo.start(
            "prometheus",
            [
                prometheus_bin,
                f"--config.file={prometheus_config(args.interval)}",
                f"--storage.tsdb.path={STATE / 'prometheus'}",
                "--storage.tsdb.retention.time=31d",  # the SLOs' 30-day period needs it
                f"--web.listen-address=127.0.0.1:{named['prometheus']}",
            ],
        )
        alertmanager = demo.start(
            "alertmanager",
            [
                alertmanager_bin,
                f"--config.file={ALERTMANAGER_CONFIG}",
                "--storage.path=data",
                f"--web.listen-address=127.0.0.1:{named['alertmanager']}",
                "--cluster.listen-address=",
            ],
            cwd=STATE / "alertmanager",
        )
        demo.start(
            "bridge",
            [
                sys.executable,
                str(ROOT / "scripts" / "alert_bridge.py"),
                "--listen",
                f"127.0.0.1:{named['bridge']}",
            ],
            log=False,
        )
        wait_http(f"http://127.0.0.1:{named['prometheus']}/-/ready", prometheus, "prometheus")
        wait_http(f"http://127.0.0.1:{named['alertmanager']}/-/ready", alertmanager, "alertmanager")

        say(f"app           {app_url}/  (metrics: {app_url}/metrics, chaos: {app_url}/chaos)")
        say(f"Prometheus    http://127.0.0.1:{named['prometheus']}/alerts  (targets: /targets)")
        say(f"Alertmanager  http://127.0.0.1:{named['alertmanager']}/")
        say("chat          messages print here; the drift bridge logs here too")
        say(
            "Grafana dashboards (monitoring/grafana/dashboards) need a Grafana: "
            "use the compose or kind stack;"
        )
        say("every panel is PromQL you can paste into Prometheus' Graph page.")
        say(f"logs and data in {STATE}; Ctrl-C stops everything")

        until = time.monotonic() + args.duration if args.duration else float("inf")
        if args.mode == "none":
            say("traffic: none (send your own: make load MIX=normal|chaos|slow|drift)")
            while time.monotonic() < until:
                time.sleep(1)
        else:
            plan = TOUR if args.mode == "tour" else [(args.mode, 3600)]
            demo.traffic(app_url, plan, args.users, until)
    except KeyboardInterrupt:
        say("stopping")
    finally:
        demo.stop()
        chat.server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())

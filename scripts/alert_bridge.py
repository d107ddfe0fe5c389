#!/usr/bin/env python3
"""Alertmanager webhook -> GitHub repository_dispatch: drift alerts start a retraining run.

Alertmanager posts the ModelInputDrift alert group here (receiver `retrain-bridge` in
monitoring/alertmanager/alertmanager.yml). For a firing group the bridge sends GitHub a
`repository_dispatch` event of type `drift-detected`, which starts
.github/workflows/retrain.yml (retrain, quality gate, pull request with the new model).

    GITHUB_REPOSITORY=owner/name GITHUB_TOKEN_FILE=/run/secrets/github-token \
        python scripts/alert_bridge.py --listen 127.0.0.1:9095

The token (a fine-grained token with "Contents: read and write" on the one repository) comes
from the file named by GITHUB_TOKEN_FILE, or from GITHUB_TOKEN. Without a token or a
repository the bridge still answers Alertmanager, and logs clearly that it skipped the
dispatch: a fork or a laptop demo works without secrets. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

EVENT_TYPE = "drift-detected"  # .github/workflows/retrain.yml listens for this type
DRIFT_ALERT = "ModelInputDrift"
DEFAULT_LISTEN = "127.0.0.1:9095"  # the port alertmanager.yml's retrain-bridge posts to
MAX_BODY = 1 << 20


def log(message: str) -> None:
    print(f"alert-bridge: {message}", file=sys.stderr, flush=True)


def read_token(env: dict[str, str]) -> str | None:
    token_file = env.get("GITHUB_TOKEN_FILE")
    if token_file:
        path = Path(token_file)
        if path.is_file():
            return path.read_text(encoding="utf-8").strip() or None
        log(f"GITHUB_TOKEN_FILE={token_file} does not exist")
        return None
    return env.get("GITHUB_TOKEN") or None


def dispatch_payload(notification: dict) -> dict | None:
    """The repository_dispatch body for a firing drift group; None when there is nothing to do."""
    if notification.get("status") != "firing":
        return None
    drifted = [
        alert
        for alert in notification.get("alerts", [])
        if alert.get("status") == "firing"
        and alert.get("labels", {}).get("alertname") == DRIFT_ALERT
    ]
    if not drifted:
        return None
    features = sorted({a["labels"].get("feature", "?") for a in drifted})
    jobs = sorted({a["labels"].get("job", "?") for a in drifted})
    return {
        "event_type": EVENT_TYPE,
        "client_payload": {  # GitHub allows at most 10 top-level keys here
            "alertname": DRIFT_ALERT,
            "features": features,
            "jobs": jobs,
            "starts_at": min(a.get("startsAt", "") for a in drifted),
            "alertmanager": notification.get("externalURL", ""),
        },
    }


class Dispatcher:
    """Sends repository_dispatch events; skips (and says so) when it has no credentials."""

    def __init__(self, env: dict[str, str]) -> None:
        self.repository = env.get("GITHUB_REPOSITORY", "")
        self.token = read_token(env)
        self.api = env.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
        if not self.api.startswith(("https://", "http://")):  # no file:// or other schemes
            raise SystemExit(f"alert-bridge: GITHUB_API_URL must be http(s), got {self.api}")

    def missing(self) -> str | None:
        if not self.token:
            return "no GitHub token configured (set GITHUB_TOKEN_FILE or GITHUB_TOKEN)"
        if "/" not in self.repository:
            return "no repository configured (set GITHUB_REPOSITORY=owner/name)"
        return None

    def send(self, payload: dict) -> tuple[int, str]:
        """(HTTP status for Alertmanager, what happened). 5xx makes Alertmanager retry."""
        reason = self.missing()
        features = ", ".join(payload["client_payload"]["features"])
        if reason:
            message = f"skipped dispatch of {EVENT_TYPE} (features: {features}): {reason}"
            log(message)
            return 200, message
        request = urllib.request.Request(
            f"{self.api}/repos/{self.repository}/dispatches",
            data=json.dumps(payload).encode(),
            method="POST",
            headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {self.token}",
                "X-GitHub-Api-Version": "2022-11-28",
                "Content-Type": "application/json",
                "User-Agent": "lifecycle-lab-alert-bridge",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # http(s) only  # nosec B310
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except (urllib.error.URLError, OSError) as error:
            log(f"GitHub unreachable: {error}")
            return 502, f"GitHub unreachable: {error}"
        if status == 204:
            message = f"dispatched {EVENT_TYPE} to {self.repository} (features: {features})"
            log(message)
            return 200, message
        log(f"GitHub answered {status} to the dispatch of {EVENT_TYPE}")
        return 502, f"GitHub answered {status}"


def make_handler(dispatcher: Dispatcher):
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/healthz":
                dispatch = dispatcher.missing() or "configured"
                self._answer(200, {"status": "ok", "dispatch": dispatch})
            else:
                self._answer(404, {"error": "not found"})

        def do_POST(self):
            if self.path != "/alerts":
                self._answer(404, {"error": "not found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= MAX_BODY:
                self._answer(400, {"error": "expected an Alertmanager webhook body"})
                return
            try:
                notification = json.loads(self.rfile.read(length))
            except ValueError:
                self._answer(400, {"error": "body is not JSON"})
                return
            payload = dispatch_payload(notification) if isinstance(notification, dict) else None
            if payload is None:
                self._answer(200, {"dispatched": False, "reason": "no firing drift alert"})
                return
            status, message = dispatcher.send(payload)
            dispatched = message.startswith("dispatched")
            self._answer(status, {"dispatched": dispatched, "reason": message})

        def log_message(self, format, *args):  # one line per request, on stderr
            log(f"{self.command} {self.path} from {self.client_address[0]}")

    return Handler


def serve(listen: str, env: dict[str, str]) -> ThreadingHTTPServer:
    host, _, port = listen.rpartition(":")
    dispatcher = Dispatcher(env)
    server = ThreadingHTTPServer((host or "127.0.0.1", int(port)), make_handler(dispatcher))
    state = dispatcher.missing() or f"dispatching to {dispatcher.repository}"
    log(f"listening on http://{listen}/alerts ({state})")
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", default=os.environ.get("BRIDGE_LISTEN", DEFAULT_LISTEN))
    args = parser.parse_args(argv)
    server = serve(args.listen, dict(os.environ))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

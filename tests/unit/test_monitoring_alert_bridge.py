"""scripts/alert_bridge.py against a fake GitHub API on loopback."""

import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from scripts import alert_bridge as bridge
from tests.helpers import free_port


def drift_notification(status="firing", alertname="ModelInputDrift"):
    """An Alertmanager webhook body (version 4) as the retrain-bridge receiver gets it."""
    alerts = [
        {
            "status": status,
            "labels": {"alertname": alertname, "job": "lifecycle-lab", "feature": feature},
            "annotations": {"summary": f"Input drift on feature {feature}"},
            "startsAt": started,
        }
        for feature, started in (
            ("proline", "2026-01-01T10:05:00Z"),
            ("hue", "2026-01-01T10:00:00Z"),
        )
    ]
    return {
        "version": "4",
        "status": status,
        "receiver": "retrain-bridge",
        "groupLabels": {"alertname": alertname, "job": "lifecycle-lab"},
        "externalURL": "http://127.0.0.1:9093",
        "alerts": alerts,
    }


class FakeGitHub(BaseHTTPRequestHandler):
    answer = 204
    received: ClassVar[list] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeGitHub.received.append((self.path, dict(self.headers), body))
        self.send_response(FakeGitHub.answer)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def serve_in_thread(server):
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def github():
    FakeGitHub.received, FakeGitHub.answer = [], 204
    server = serve_in_thread(ThreadingHTTPServer(("127.0.0.1", free_port()), FakeGitHub))
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def start_bridge():
    servers = []

    def start(env):
        server = serve_in_thread(bridge.serve(f"127.0.0.1:{free_port()}", env))
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def post(url, body):
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_firing_drift_becomes_a_repository_dispatch(github, start_bridge, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("test-token\n")
    url = start_bridge(
        {
            "GITHUB_API_URL": github,
            "GITHUB_REPOSITORY": "student/lifecycle-lab",
            "GITHUB_TOKEN_FILE": str(token_file),
        }
    )
    status, answer = post(f"{url}/alerts", drift_notification())
    assert status == 200 and answer["dispatched"] is True
    [(path, headers, body)] = FakeGitHub.received
    assert path == "/repos/student/lifecycle-lab/dispatches"
    assert headers["Authorization"] == "Bearer test-token"
    assert body["event_type"] == "drift-detected"
    assert body["client_payload"]["features"] == ["hue", "proline"]
    assert body["client_payload"]["starts_at"] == "2026-01-01T10:00:00Z"
    assert len(body["client_payload"]) <= 10  # GitHub's limit for client_payload


def test_without_a_token_it_skips_with_a_clear_message(github, start_bridge, capsys):
    url = start_bridge({"GITHUB_API_URL": github, "GITHUB_REPOSITORY": "student/lifecycle-lab"})
    status, answer = post(f"{url}/alerts", drift_notification())
    assert status == 200 and answer["dispatched"] is False  # 200: Alertmanager must not retry
    assert "no GitHub token configured" in answer["reason"]
    assert "skipped dispatch of drift-detected" in capsys.readouterr().err
    assert FakeGitHub.received == []


@pytest.mark.parametrize(
    "notification",
    [drift_notification(status="resolved"), drift_notification(alertname="HighP99Latency")],
    ids=["resolved", "other-alert"],
)
def test_only_firing_drift_alerts_dispatch(github, start_bridge, notification):
    url = start_bridge({"GITHUB_API_URL": github, "GITHUB_REPOSITORY": "o/r", "GITHUB_TOKEN": "t"})
    status, answer = post(f"{url}/alerts", notification)
    assert (status, answer["dispatched"]) == (200, False)
    assert FakeGitHub.received == []


def test_a_refused_dispatch_makes_alertmanager_retry(github, start_bridge):
    FakeGitHub.answer = 401
    url = start_bridge(
        {"GITHUB_API_URL": github, "GITHUB_REPOSITORY": "o/r", "GITHUB_TOKEN": "bad"}
    )
    status, answer = post(f"{url}/alerts", drift_notification())
    assert status == 502 and "401" in answer["reason"]


def test_garbage_is_a_client_error(start_bridge):
    url = start_bridge({})
    request = urllib.request.Request(f"{url}/alerts", data=b"{oops", method="POST")
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=10)
    assert error.value.code == 400


def test_only_http_apis_are_accepted():
    with pytest.raises(SystemExit, match="must be http"):
        bridge.Dispatcher({"GITHUB_API_URL": "file:///etc/passwd"})

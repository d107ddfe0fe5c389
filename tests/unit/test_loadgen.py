"""scripts/loadgen.py: the traffic it sends has the shape the monitoring expects."""

import bisect
import io
import json
import math
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from scripts import loadgen
from tests.helpers import ROOT, free_port

ROWS = loadgen.load_rows(ROOT / "data" / "wine.csv")


def active_bin_edges() -> dict[str, list[float]]:
    index = json.loads((ROOT / "models" / "index.json").read_text())
    active = index["versions"][index["active"]]["file"]
    return json.loads((ROOT / "models" / active).read_text())["monitoring"]["bin_edges"]


def psi_per_feature(mode: str, samples: int = 4000) -> dict[str, float]:
    """PSI of `samples` requests of a mode, binned like the service bins them."""
    edges = active_bin_edges()
    traffic = loadgen.Traffic(mode, ROWS, seed=7, bad_share=0)
    counts = {name: Counter() for name in edges}
    for _ in range(samples):
        features = json.loads(traffic.next().body)["features"]
        for name, value in features.items():
            counts[name][bisect.bisect_right(edges[name], value)] += 1
    result = {}
    for name, bins in counts.items():
        shares = [max(bins[b] / samples, 0.001) for b in range(10)]
        result[name] = sum((s - 0.1) * math.log(s / 0.1) for s in shares)
    return result


def test_normal_traffic_fills_every_training_decile_evenly():
    psi = psi_per_feature("normal")
    assert set(psi) == set(ROWS[0])
    assert max(psi.values()) < 0.1, psi  # well under the 0.2 alert threshold


def test_drift_traffic_moves_the_shifted_features_over_the_alert_threshold():
    psi = psi_per_feature("drift")
    drifted = {name for name, value in psi.items() if value > 0.2}
    # ml/drift.py shifts these four; the others must stay put (no false alarms on them).
    assert drifted == {"alcohol", "color_intensity", "proline", "hue"}, psi


def test_every_request_of_normal_traffic_is_a_complete_prediction():
    traffic = loadgen.Traffic("normal", ROWS, seed=1, bad_share=0.5)
    request = traffic.next()
    assert (request.method, request.path) == ("POST", "/api/v1/predict")
    assert set(json.loads(request.body)["features"]) == set(ROWS[0])


@pytest.mark.parametrize(
    "argv",
    [
        ["--rate", "0"],
        ["--duration", "-1"],
        ["--mode", "chaos"],
        ["--error-rate", "1.5"],
        ["--url", "file:///etc/passwd"],
    ],
)
def test_bad_arguments_are_refused(argv, capsys):
    with pytest.raises(SystemExit):
        loadgen.parse_args(argv)
    assert "error" in capsys.readouterr().err


def test_slow_mode_gets_enough_workers_for_its_rate():
    args = loadgen.parse_args(["--mode", "slow", "--rate", "20", "--latency", "1"])
    assert args.workers * 1 >= 20  # 20 requests/s of >= 1 s each need >= 20 at once


class FakeService(BaseHTTPRequestHandler):
    """Answers like the app with chaos enabled: 200 for a JSON prediction or a chaos toggle,
    400/415 for a bad body, 404 for GET; records every call."""

    calls: ClassVar[list] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        FakeService.calls.append((self.path, body))
        try:
            if not self.path.startswith("/chaos/"):
                json.loads(body)["features"]["alcohol"] + 0
            status = 200
        except (ValueError, KeyError, TypeError):
            status = 400
        if self.headers.get("Content-Type") != "application/json":
            status = 415
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def do_GET(self):
        FakeService.calls.append((self.path, b""))
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_service():
    FakeService.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), FakeService)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_errors_mode_turns_chaos_on_sends_bad_requests_and_turns_it_off(fake_service):
    args = loadgen.parse_args(
        ["--url", fake_service, "--mode", "errors", "--rate", "40", "--duration", "1.5"]
    )
    out = io.StringIO()
    stats = loadgen.run(args, out=out)  # returns by itself after --duration

    paths = [path for path, _ in FakeService.calls]
    assert paths[0] == "/chaos/errors" and json.loads(FakeService.calls[0][1]) == {"rate": 0.3}
    assert paths[-1] == "/chaos/errors" and json.loads(FakeService.calls[-1][1]) == {"rate": 0}
    assert stats.statuses[200] > 0
    assert stats.statuses[400] + stats.statuses[415] + stats.statuses[404] > 0
    assert "[loadgen errors]" in out.getvalue() and "2xx=" in out.getvalue()


def test_exit_code_says_when_the_service_never_answered():
    closed = f"http://127.0.0.1:{free_port()}"
    assert loadgen.main(["--url", closed, "--rate", "20", "--duration", "0.3"]) == 1

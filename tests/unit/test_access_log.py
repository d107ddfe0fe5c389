"""The access line is hand-formatted for speed; it must still be one valid JSON object."""

import json

from app.jsonlog import AccessLog


def test_every_line_is_json_even_with_a_hostile_path(capsys):
    log = AccessLog("INFO")
    hostile = '/x"}\n{"forged": true, "\\\\'
    log.write(
        request_id="abc",
        method="GET",
        path=hostile,
        route="<unmatched>",
        status=404,
        duration_ms=1.5,
        remote_addr=None,
    )
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["path"] == hostile
    assert entry["status"] == 404 and entry["event"] == "request"
    assert entry["ts"].endswith("Z") and entry["remote_addr"] is None


def test_the_app_logs_one_line_per_request_with_its_id(client, capsys):
    capsys.readouterr()
    client.get("/healthz", headers={"X-Request-ID": "trace-42"})
    client.get("/nowhere")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(e["route"], e["status"]) for e in lines] == [("/healthz", 200), ("<unmatched>", 404)]
    assert lines[0]["request_id"] == "trace-42"


def test_warning_level_silences_access_lines(capsys):
    AccessLog("WARNING").write(
        request_id="a",
        method="GET",
        path="/",
        route="/",
        status=200,
        duration_ms=1.0,
        remote_addr="127.0.0.1",
    )
    assert capsys.readouterr().out == ""

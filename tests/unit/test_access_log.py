"""The access line: one JSON object per request, through the standard logging module."""

import json
from urllib.parse import quote

import pytest


def access_lines(out: str) -> list[dict]:
    lines = [json.loads(line) for line in out.splitlines()]
    return [line for line in lines if line["event"] == "request"]


def test_the_app_logs_one_line_per_request_with_its_id(make_app, capsys):
    client = make_app().test_client()  # made inside the test, so it logs to capsys
    client.get("/healthz", headers={"X-Request-ID": "trace-42"})
    client.get("/nowhere")
    lines = access_lines(capsys.readouterr().out)
    assert [(e["route"], e["status"]) for e in lines] == [("/healthz", 200), ("<unmatched>", 404)]
    assert lines[0]["request_id"] == "trace-42"
    assert lines[1]["request_id"] and lines[1]["request_id"] != "trace-42"
    assert all(e["logger"] == "app.access" and e["ts"].endswith("Z") for e in lines)
    assert all(isinstance(e["duration_ms"], float) and e["duration_ms"] >= 0 for e in lines)


def test_every_line_is_json_even_with_a_hostile_path(make_app, capsys):
    client = make_app().test_client()
    hostile = '/x"}\n{"forged": true, "\\'
    assert client.get(quote(hostile)).status_code == 404  # sent percent-encoded, as on the wire
    (line,) = access_lines(capsys.readouterr().out)
    assert line["path"] == hostile and line["status"] == 404


def test_any_status_is_logged_as_a_number_and_counted_under_its_code(make_app, capsys):
    app = make_app()
    app.add_url_rule("/teapot", "teapot", lambda: ("short and stout", 418))
    client = app.test_client()
    assert client.get("/teapot").status_code == 418
    (line,) = access_lines(capsys.readouterr().out)
    assert (line["route"], line["status"]) == ("/teapot", 418)
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'http_requests_total{method="GET",route="/teapot",status="418"} 1.0' in metrics


def test_an_unhandled_error_is_logged_with_its_request_id_and_answered_500(make_app, capsys):
    app = make_app()

    def broken():
        raise RuntimeError("boom")

    app.add_url_rule("/broken", "broken", broken)
    response = app.test_client().get("/broken", headers={"X-Request-ID": "trace-7"})
    assert response.status_code == 500 and "boom" not in response.get_data(as_text=True)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    (error,) = [line for line in lines if line["event"] == "unhandled error"]
    assert error["request_id"] == "trace-7" and "RuntimeError: boom" in error["exception"]
    assert access_lines("\n".join(map(json.dumps, lines)))[0]["status"] == 500


@pytest.mark.parametrize("level", ["WARNING", "ERROR"])
def test_a_level_above_info_silences_access_lines(make_app, capsys, level):
    make_app(log_level=level).test_client().get("/healthz")
    assert access_lines(capsys.readouterr().out) == []

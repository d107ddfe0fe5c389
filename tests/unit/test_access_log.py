"""The access line is hand-formatted for speed; it must still be one valid JSON object."""

import json
import threading
import time

from app.jsonlog import AccessLog


def test_every_line_is_json_even_with_a_hostile_path(capsys):
    log = AccessLog("INFO")
    hostile = '/x"}\n{"forged": true, "\\\\'
    log.write("abc", "GET", hostile, "<unmatched>", 404, 0.0015, None)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["path"] == hostile
    assert entry["status"] == 404 and entry["event"] == "request"
    assert entry["duration_ms"] == 1.5
    assert entry["ts"].endswith("Z") and entry["remote_addr"] is None


def test_the_app_logs_one_line_per_request_with_its_id(make_app, capsys):
    client = make_app().test_client()  # the fixture writes each line at once
    capsys.readouterr()
    client.get("/healthz", headers={"X-Request-ID": "trace-42"})
    client.get("/nowhere")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(e["route"], e["status"]) for e in lines] == [("/healthz", 200), ("<unmatched>", 404)]
    assert lines[0]["request_id"] == "trace-42"


def test_any_status_is_logged_as_a_number_and_counted_under_its_code(make_app, capsys):
    # The observer takes the code from the text of the status line, without int(): it must
    # still give a JSON number for a code outside the usual three digits.
    app = make_app()
    app.add_url_rule("/teapot", "teapot", lambda: ("short and stout", 418))
    app.add_url_rule("/odd", "odd", lambda: ("", "1234 Unheard Of"))
    client = app.test_client()
    capsys.readouterr()
    assert client.get("/teapot").status_code == 418
    assert client.get("/odd").status == "1234 Unheard Of"
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(e["route"], e["status"]) for e in lines] == [("/teapot", 418), ("/odd", 1234)]
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'route="/teapot",status="418"} 1.0' in metrics
    assert 'route="/odd",status="1234"} 1.0' in metrics


def test_warning_level_silences_access_lines(capsys):
    AccessLog("WARNING").write("a", "GET", "/", "/", 200, 0.001, "127.0.0.1")
    assert capsys.readouterr().out == ""


def line_fields(n: int) -> tuple:
    return (f"r{n}", "GET", f"/{n}", "<unmatched>", 404, 0.001, "127.0.0.1")


def test_buffered_lines_wait_then_all_come_out_in_order(capsys):
    log = AccessLog("INFO", flush_seconds=0.2)
    for n in range(5):
        log.write(*line_fields(n))
    assert capsys.readouterr().out == ""  # nothing yet: no system call per request
    deadline = time.monotonic() + 5
    out = ""
    while time.monotonic() < deadline and out.count("\n") < 5:
        time.sleep(0.05)
        out += capsys.readouterr().out
    ids = [json.loads(line)["request_id"] for line in out.splitlines()]
    assert ids == [f"r{n}" for n in range(5)]  # the background flush wrote them, in order


def test_a_full_batch_is_written_at_once_and_nothing_is_lost(capsys):
    log = AccessLog("INFO", flush_seconds=60)  # the timer cannot be what writes them
    total = AccessLog.BATCH_LINES * 2 + 3
    for n in range(total):
        log.write(*line_fields(n))
    written = capsys.readouterr().out.splitlines()
    assert len(written) == AccessLog.BATCH_LINES * 2  # two full batches, the rest waits
    log.flush()  # as at exit
    written += capsys.readouterr().out.splitlines()
    assert [json.loads(line)["request_id"] for line in written] == [f"r{n}" for n in range(total)]


def test_lines_from_many_threads_are_whole_and_counted(capsys):
    log = AccessLog("INFO", flush_seconds=0.05)

    def serve(worker: int):
        for n in range(300):
            log.write(*line_fields(worker * 1000 + n))

    threads = [threading.Thread(target=serve, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.flush()
    lines = capsys.readouterr().out.splitlines()
    assert len({json.loads(line)["request_id"] for line in lines}) == len(lines) == 1200

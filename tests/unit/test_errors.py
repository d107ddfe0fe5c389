"""Bad input gets a clear JSON error and never a 5xx.

What the predict endpoint accepts as JSON is exactly JSON (RFC 8259), read by Flask's
`request.get_json()` through the app's strict JSON provider: whatever is not JSON is a 400
naming the body; a number too large for a float gets the schema's 400 naming its field."""

import json
import math
import sys

import pytest


def error_of(response):
    body = response.get_json()
    assert set(body) == {"error"}
    assert body["error"]["status"] == response.status_code
    assert body["error"]["request_id"] == response.headers["X-Request-ID"]
    return body["error"]


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b["features"].pop("alcohol"), "features.alcohol"),
        (lambda b: b["features"].update(alcohol="13.2"), "features.alcohol"),
        (lambda b: b["features"].update(alcohol=True), "features.alcohol"),
        (lambda b: b["features"].update(alcohol=None), "features.alcohol"),
        (lambda b: b["features"].update(proline=1e12), "features.proline"),
        (lambda b: b["features"].update(proline=-5), "features.proline"),
        (lambda b: b["features"].update(ash=0.4), "features.ash"),
        (lambda b: b["features"].update(colour=1.0), "features.colour"),
        (lambda b: b.update(extra=1), "extra"),
        (lambda b: b.pop("features"), "features"),
    ],
)
def test_schema_errors_are_400_naming_the_field(client, predict_body, mutate, field):
    mutate(predict_body)
    response = client.post("/api/v1/predict", json=predict_body)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_request"
    assert error["field"] == field
    assert field.split(".")[-1] in error["message"]


@pytest.mark.parametrize("raw", ["[1, 2]", '"text"', "12", "null"])
def test_a_body_that_is_not_an_object_is_400(client, raw):
    response = client.post("/api/v1/predict", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["field"] in {"body", "features"}


def test_non_json_is_415(client, predict_body):
    response = client.post(
        "/api/v1/predict", data=json.dumps(predict_body), content_type="text/plain"
    )
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_a_body_over_the_limit_is_413_and_the_limit_is_exact(make_app, predict_body):
    # A body of exactly MAX_BODY_BYTES is read; one byte more is refused before reading.
    body = json.dumps(predict_body).encode()
    client = make_app(max_body_bytes=len(body)).test_client()
    ok = client.post("/api/v1/predict", data=body, content_type="application/json")
    assert ok.status_code == 200
    over = client.post("/api/v1/predict", data=body + b" ", content_type="application/json")
    assert over.status_code == 413
    assert error_of(over)["code"] == "payload_too_large"


def test_media_type_parameters_and_case_are_accepted(client, predict_body):
    for content_type in ("application/json; charset=utf-8", "Application/JSON"):
        response = client.post(
            "/api/v1/predict", data=json.dumps(predict_body), content_type=content_type
        )
        assert response.status_code == 200, content_type


def test_unknown_route_is_404(client):
    response = client.get("/no/such/thing")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_wrong_method_is_405_with_allow_header(client):
    response = client.get("/api/v1/predict")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]


def test_an_unexpected_exception_is_a_json_500_without_traceback(make_app):
    app = make_app()

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    error = error_of(response)
    assert "secret" not in error["message"] and "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "raw",
    [
        '{"features": NaN}',
        '{"features": -Infinity}',
        '{"features": {"alcohol": 1} trailing',
        "",
        "\udcff",  # a lone surrogate, sent as the bytes Python's "surrogateescape" makes
    ],
    ids=["NaN", "-Infinity", "trailing", "empty", "not-utf8"],
)
def test_a_body_that_is_not_json_is_a_400_naming_the_body(client, raw):
    data = raw.encode("utf-8", "surrogateescape")
    response = client.post("/api/v1/predict", data=data, content_type="application/json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["field"] == "body" and error["message"].startswith("body is not valid JSON")


def test_a_deeply_nested_body_is_a_400_naming_the_body(client):
    """1,100 levels: the json parser of Python 3.11 and 3.12 gives up (its recursion limit);
    3.13's parses it (its limit is deeper than a 16 KB body can nest) and the schema refuses
    an array. A 400 naming the body either way."""
    data = "[" * 1100 + "]" * 1100
    response = client.post("/api/v1/predict", data=data, content_type="application/json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["field"] == "body"
    if sys.version_info < (3, 13):
        assert error["message"] == "body is not valid JSON: nested too deeply"


@pytest.mark.parametrize("number", ["1e400", "-1e400"])
def test_a_number_too_large_for_a_float_gets_the_schema_error_naming_its_field(
    client, predict_body, number
):
    features = dict(predict_body["features"], alcohol=math.pi)
    raw = json.dumps({"features": features}).replace(repr(math.pi), number)
    response = client.post("/api/v1/predict", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["field"] == "features.alcohol"


def test_the_chaos_endpoints_read_json_the_same_strict_way(client):
    response = client.post("/chaos/errors", data='{"rate": NaN}', content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["field"] == "body"


def test_the_400_says_what_is_wrong_with_the_json(client):
    for raw, reason in [('{"features": NaN}', "NaN"), ("{", "Expecting property name")]:
        response = client.post("/api/v1/predict", data=raw, content_type="application/json")
        assert reason in response.get_json()["error"]["message"], raw

"""Bad input gets a clear JSON error and never a 5xx."""

import json

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
        (lambda b: b["features"].update(colour=1.0), "features.colour"),
        (lambda b: b.update(extra=1), "extra"),
        (lambda b: b.pop("features"), "features"),
    ],
)
def test_schema_errors_are_400_naming_the_field(client, sample, mutate, field):
    mutate(sample)
    response = client.post("/api/v1/predict", json=sample)
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


@pytest.mark.parametrize("raw", ["{", '{"features": NaN}', '{"features": {"alcohol": Infinity}}'])
def test_invalid_json_is_400(client, raw):
    response = client.post("/api/v1/predict", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in error_of(response)["message"]


def test_non_json_is_415(client, sample):
    response = client.post("/api/v1/predict", data=json.dumps(sample), content_type="text/plain")
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_oversize_body_is_413(make_app, sample):
    client = make_app(max_body_bytes=1024).test_client()
    sample["padding"] = "x" * 2048
    response = client.post("/api/v1/predict", json=sample)
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"


def test_the_body_limit_is_exact(make_app, sample):
    # A body of exactly MAX_BODY_BYTES is read; one byte more is refused before reading.
    body = json.dumps(sample).encode()
    client = make_app(max_body_bytes=len(body)).test_client()
    ok = client.post("/api/v1/predict", data=body, content_type="application/json")
    assert ok.status_code == 200
    over = client.post("/api/v1/predict", data=body + b" ", content_type="application/json")
    assert over.status_code == 413


def test_media_type_parameters_and_case_are_accepted(client, sample):
    for content_type in ("application/json; charset=utf-8", "Application/JSON"):
        response = client.post(
            "/api/v1/predict", data=json.dumps(sample), content_type=content_type
        )
        assert response.status_code == 200, content_type


def test_a_body_that_is_not_utf8_is_400(client):
    response = client.post(
        "/api/v1/predict", data=b'{"features": "\xff"}', content_type="application/json"
    )
    assert response.status_code == 400
    assert error_of(response)["field"] == "body"


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


def test_an_overflowing_number_is_400_not_infinity(client, sample):
    raw = json.dumps(sample).replace(str(sample["features"]["proline"]), "1e400")
    response = client.post("/api/v1/predict", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["field"] == "features.proline"

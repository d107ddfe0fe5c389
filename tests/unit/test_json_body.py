"""What the predict endpoint accepts as JSON: exactly JSON (RFC 8259), read by Flask's
`request.get_json()` through the app's strict JSON provider. Whatever is not JSON is a 400
naming the body; a number too large for a float gets the schema's 400 naming its field."""

import json
import math

import pytest


@pytest.mark.parametrize(
    "raw",
    [
        '{"features": NaN}',
        '{"features": -Infinity}',
        '{"features": {"alcohol": 1} trailing',
        "[" * 1100 + "]" * 1100,  # deeper than the parser's recursion limit
        "",
        "\udcff",  # a lone surrogate, sent as the bytes Python's "surrogateescape" makes
    ],
    ids=["NaN", "-Infinity", "trailing", "deep", "empty", "not-utf8"],
)
def test_a_body_that_is_not_json_is_a_400_naming_the_body(client, raw):
    data = raw.encode("utf-8", "surrogateescape")
    response = client.post("/api/v1/predict", data=data, content_type="application/json")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["field"] == "body" and error["message"].startswith("body is not valid JSON")


@pytest.mark.parametrize("number", ["1e400", "-1e400"])
def test_a_number_too_large_for_a_float_gets_the_schema_error_naming_its_field(
    client, sample, number
):
    features = dict(sample["features"], alcohol=math.pi)
    raw = json.dumps({"features": features}).replace(repr(math.pi), number)
    response = client.post("/api/v1/predict", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "features.alcohol"


def test_the_chaos_endpoints_read_json_the_same_strict_way(client):
    response = client.post("/chaos/errors", data='{"rate": NaN}', content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "body"


def test_the_400_says_what_is_wrong_with_the_json(client):
    for raw, reason in [('{"features": NaN}', "NaN"), ("{", "Expecting property name")]:
        response = client.post("/api/v1/predict", data=raw, content_type="application/json")
        assert reason in response.get_json()["error"]["message"], raw

"""Every endpoint of the service contract through the Flask test client."""

import json
import re

import pytest
from jsonschema import Draft202012Validator

from app.api import predict_request_schema
from app.state import EXTENSION
from tests.helpers import ROOT


def current_model(app):
    return app.extensions[EXTENSION].model


def schema_of(client, name):
    document = client.get("/openapi.json").get_json()
    schema = dict(document["components"]["schemas"][name])
    return Draft202012Validator(schema)


def test_index_names_service_build_and_model(client, app):
    body = client.get("/").get_json()
    model = current_model(app)
    assert body["service"] == "lifecycle-lab"
    assert body["environment"] == "development"
    assert body["model"] == {"name": model.name, "version": model.version}
    schema_of(client, "Info").validate(body)


def test_version(client):
    response = client.get("/version")
    assert response.status_code == 200
    assert set(response.get_json()) == {"version", "git_sha", "build_date"}


def test_healthz_and_readyz_answer_200_with_a_model(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["status"] == "ready"


def test_readyz_is_503_while_draining(app, client):
    app.extensions[EXTENSION].switches.start_draining()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert any("draining" in reason for reason in response.get_json()["reasons"])
    assert client.get("/healthz").status_code == 200  # still alive: no restart wanted


def test_without_a_model_the_app_is_alive_but_not_ready(make_app, tmp_path):
    app = make_app(model_dir=str(tmp_path))
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert "model not loaded" in ready.get_json()["reasons"][0]
    answer = client.post("/api/v1/predict", json={"features": {}})
    assert answer.status_code == 503
    assert answer.get_json()["error"]["code"] == "unavailable"


def test_predict_returns_class_probabilities_version_and_request_id(client, predict_body, app):
    response = client.post(
        "/api/v1/predict", json=predict_body, headers={"X-Request-ID": "abc-123"}
    )
    assert response.status_code == 200
    body = response.get_json()
    model = current_model(app)
    assert body["prediction"] in model.classes
    assert set(body["probabilities"]) == set(model.classes)
    assert sum(body["probabilities"].values()) == pytest.approx(1.0)
    assert body["prediction"] == max(body["probabilities"], key=body["probabilities"].get)
    assert body["model_version"] == model.version
    assert body["request_id"] == "abc-123" == response.headers["X-Request-ID"]
    schema_of(client, "PredictResponse").validate(body)


def test_predict_matches_the_label_of_a_training_row(client, predict_body):
    # The first row of the wine data is a class_0 wine; the model must get it right.
    assert client.post("/api/v1/predict", json=predict_body).get_json()["prediction"] == "class_0"


def test_a_request_id_is_made_when_missing_or_unsafe(client):
    made = client.get("/healthz").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    unsafe = client.get("/healthz", headers={"X-Request-ID": "bad id; drop table" + "x" * 200})
    assert re.fullmatch(r"[0-9a-f]{32}", unsafe.headers["X-Request-ID"])


def test_model_metadata(client, app):
    body = client.get("/api/v1/model").get_json()
    assert body["version"] == current_model(app).version
    for key in ("metrics", "dataset", "created_at"):
        assert key in body
    assert re.fullmatch(r"[0-9a-f]{64}", body["dataset"]["sha256"])


def test_openapi_publishes_the_validation_schema(client, app):
    document = client.get("/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    request_schema = document["components"]["schemas"]["PredictRequest"]
    features = request_schema["properties"]["features"]
    assert features["required"] == list(current_model(app).feature_names)
    model = current_model(app)
    assert request_schema == predict_request_schema(model.feature_names, model.accepted_ranges)
    assert "/api/v1/predict" in document["paths"]


def test_openapi_states_the_data_cards_accepted_range_of_every_feature(client):
    columns = json.loads((ROOT / "data" / "columns.json").read_text())
    document = client.get("/openapi.json").get_json()
    published = document["components"]["schemas"]["PredictRequest"]["properties"]["features"]
    for spec in columns["features"]:
        feature = published["properties"][spec["name"]]
        assert (feature["minimum"], feature["maximum"]) == (spec["min"], spec["max"])
        assert spec["unit"] in feature["description"]


def test_every_route_of_the_app_is_in_the_openapi_document(client, app):
    documented = set(client.get("/openapi.json").get_json()["paths"]) | {"/openapi.json"}
    routes = {rule.rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    # /docs/ is the page about the API (Swagger UI), not an operation of it.
    undocumented = {r for r in routes if not r.startswith(("/chaos/", "/docs/"))} - documented
    assert not undocumented, (
        f"{sorted(undocumented)}: add to build_document() in app/openapi.py "
        "(CONTRIBUTING.md, 'An endpoint')"
    )


def test_the_documented_predict_example_is_a_valid_request(client):
    """What "Try it out" in /docs/ sends first: one value per feature, and the API takes it."""
    document = client.get("/openapi.json").get_json()
    body = document["paths"]["/api/v1/predict"]["post"]["requestBody"]
    example = body["content"]["application/json"]["example"]
    schema = document["components"]["schemas"]["PredictRequest"]
    assert list(example["features"]) == schema["properties"]["features"]["required"]
    response = client.post("/api/v1/predict", json=example)
    assert response.status_code == 200, response.get_json()

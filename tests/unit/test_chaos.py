import pytest


def test_chaos_is_404_unless_enabled(make_app):
    client = make_app(chaos_enabled=False).test_client()
    assert client.get("/chaos").status_code == 404
    assert client.post("/chaos/errors", json={"rate": 1}).status_code == 404


def test_error_rate_one_fails_every_api_call_but_not_the_probes(client, predict_body):
    assert client.post("/chaos/errors", json={"rate": 1.0}).status_code == 200
    response = client.post("/api/v1/predict", json=predict_body)
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "chaos_injected"
    assert client.get("/healthz").status_code == 200
    assert client.delete("/chaos").get_json()["error_rate"] == 0
    assert client.post("/api/v1/predict", json=predict_body).status_code == 200


def test_readiness_off_and_on(client):
    client.post("/chaos/readiness", json={"ready": False})
    assert client.get("/readyz").status_code == 503
    client.post("/chaos/readiness", json={"ready": True})
    assert client.get("/readyz").status_code == 200


def test_latency_is_added_to_api_calls(client, predict_body, monkeypatch):
    slept = []
    monkeypatch.setattr("app.chaos.time.sleep", slept.append)
    client.post("/chaos/latency", json={"seconds": 0.25})
    client.post("/api/v1/predict", json=predict_body)
    client.get("/healthz")
    assert slept == [0.25]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/chaos/errors", {"rate": 2}, "rate"),
        ("/chaos/errors", {"rate": "half"}, "rate"),
        ("/chaos/latency", {"seconds": -1}, "seconds"),
        ("/chaos/latency", {"seconds": 3600}, "seconds"),
        ("/chaos/readiness", {"ready": "no"}, "ready"),
        ("/chaos/errors", [1], "body"),
    ],
)
def test_bad_chaos_input_is_400_naming_the_field(client, path, body, field):
    response = client.post(path, json=body)
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == field


def test_chaos_of_one_app_never_leaks_into_another(make_app, predict_body):
    chaotic = make_app().test_client()
    calm = make_app(chaos_enabled=False)
    chaotic.post("/chaos/errors", json={"rate": 1.0})
    assert calm.before_request_funcs.get("api") is None
    assert calm.test_client().post("/api/v1/predict", json=predict_body).status_code == 200

"""Smoke tests through the published port, the way a user or a load balancer sees the image."""

import json

from tests.e2e import engine as eng
from tests.helpers import ROOT


def _active_model() -> dict:
    registry = ROOT / "models"
    index = json.loads((registry / "index.json").read_text())
    entry = index["versions"][index["active"]]
    return json.loads((registry / entry["file"]).read_text())


def _typical_features(model: dict) -> dict[str, float]:
    """A valid body: each feature at its training median (the middle decile edge)."""
    edges = model["monitoring"]["bin_edges"]
    return {name: edges[name][len(edges[name]) // 2] for name in model["features"]}


def test_ready_and_alive(app_container):
    assert eng.http_get(f"{app_container.url}/readyz")[0] == 200
    assert eng.http_get(f"{app_container.url}/healthz")[0] == 200


def test_version_reports_the_build_metadata(app_container):
    status, body = eng.http_get(f"{app_container.url}/version")
    assert status == 200
    assert eng.env_or_fail("E2E_IMAGE_REVISION") in body


def test_prediction_with_the_active_model(app_container):
    model = _active_model()
    status, body = eng.http_post_json(
        f"{app_container.url}/api/v1/predict", {"features": _typical_features(model)}
    )
    assert status == 200, body
    assert body["model_version"] == model["version"]
    assert body["prediction"] in model["classes"]
    assert abs(sum(body["probabilities"].values()) - 1) < 1e-6


def test_bad_input_is_a_400_not_a_crash(app_container):
    status, body = eng.http_post_json(
        f"{app_container.url}/api/v1/predict", {"features": {"alcohol": "a lot"}}
    )
    assert status == 400
    assert body["error"]["status"] == 400


def _samples(metrics_text: str, name: str, *label_matches: str) -> list[float]:
    """Values of the samples of `name` whose label set contains every `label_matches`."""
    values = []
    for line in metrics_text.splitlines():
        if line.startswith(name + "{") and all(match in line for match in label_matches):
            values.append(float(line.rsplit(" ", 1)[1]))
    return values


def test_metrics_count_every_prediction_across_workers(app_container):
    model = _active_model()
    metrics_url = f"{app_container.url}/metrics"
    labels = ('route="/api/v1/predict"', 'status="200"')
    before = sum(_samples(eng.http_get(metrics_url)[1], "http_requests_total", *labels))
    for _ in range(5):  # several requests, so more than one worker is likely to serve
        status, body = eng.http_post_json(
            f"{app_container.url}/api/v1/predict", {"features": _typical_features(model)}
        )
        assert status == 200, body
    status, text = eng.http_get(metrics_url)
    assert status == 200
    assert sum(_samples(text, "http_requests_total", *labels)) - before == 5
    revision = eng.env_or_fail("E2E_IMAGE_REVISION")
    assert _samples(text, "app_build_info", f'git_sha="{revision}"'), (
        "app_build_info does not carry the image's revision"
    )
    assert 1.0 in _samples(text, "model_active_info", f'model_version="{model["version"]}"')


def test_chaos_is_off_in_the_production_image(app_container):
    assert eng.http_get(f"{app_container.url}/chaos")[0] == 404

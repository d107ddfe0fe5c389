"""The metrics contract, in single-process mode (multiprocess is proven in integration)."""

from datetime import UTC, datetime

from prometheus_client.parser import text_string_to_metric_families


def scrape(client) -> dict:
    text = client.get("/metrics").get_data(as_text=True)
    return {family.name: family for family in text_string_to_metric_families(text)}


def value(families, name, sample_name=None, **labels):
    family = families[name]
    for sample in family.samples:
        if sample.name == (sample_name or name) and all(
            sample.labels.get(k) == v for k, v in labels.items()
        ):
            return sample.value
    return None


def test_request_counter_uses_the_url_rule_not_the_raw_path(client):
    client.get("/healthz")
    client.get("/no/such/page/123")
    client.get("/no/such/page/456")
    families = scrape(client)
    assert value(families, "http_requests", "http_requests_total", route="/healthz") == 1
    assert value(families, "http_requests", "http_requests_total", route="<unmatched>") == 2
    routes = {s.labels.get("route") for s in families["http_requests"].samples}
    assert not any("123" in (r or "") for r in routes)


def test_prediction_metrics_count_class_confidence_and_input_bins(client, sample, app):
    model = app.extensions["model"]
    for _ in range(3):
        prediction = client.post("/api/v1/predict", json=sample).get_json()["prediction"]
    families = scrape(client)
    assert (
        value(
            families,
            "model_predictions",
            "model_predictions_total",
            model_version=model.version,
            predicted_class=prediction,
        )
        == 3
    )
    count = value(families, "model_prediction_confidence", "model_prediction_confidence_count")
    assert count == 3
    bin_samples = [s for s in families["model_input_bin"].samples if s.name.endswith("_total")]
    assert len(bin_samples) == 10 * len(model.feature_names)  # every bin exists, even at 0
    assert sum(s.value for s in bin_samples) == 3 * len(model.feature_names)
    expected_bin = str(model.bin_of(0, sample["features"][model.feature_names[0]]))
    assert (
        value(
            families,
            "model_input_bin",
            "model_input_bin_total",
            feature=model.feature_names[0],
            bin=expected_bin,
        )
        == 3
    )


def test_info_gauges_and_process_metrics(client, app):
    client.get("/healthz")
    families = scrape(client)
    settings = app.extensions["settings"]
    labels = {"version": settings.app_version, "git_sha": settings.git_sha}
    assert value(families, "app_build_info", **labels) == 1
    version = app.extensions["model"].version
    assert value(families, "model_active_info", model_version=version) == 1
    assert value(families, "process_resident_memory_bytes") > 0
    assert value(families, "process_cpu_seconds", "process_cpu_seconds_total") > 0
    assert "http_requests_in_flight" in families
    count = "http_request_duration_seconds_count"
    assert value(families, "http_request_duration_seconds", count, route="/healthz") == 1


def test_the_commit_time_is_a_gauge_only_when_the_build_knows_it(make_app):
    def commit_times(**settings):
        families = scrape(make_app(git_sha="abc1234", **settings).test_client())
        family = families.get("app_commit_timestamp_seconds")
        return [(s.labels, s.value) for s in family.samples] if family else []

    known = datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert commit_times(git_commit_time=known) == [({"git_sha": "abc1234"}, 1_714_564_800)]
    assert commit_times() == []  # an unknown time: no series rather than a zero (1970)


def test_invented_methods_cannot_mint_series(client):
    for verb in ("FOO", "BAR", "BAZ"):
        assert client.open("/healthz", method=verb).status_code == 405
    families = scrape(client)  # the scrape itself is counted after it is answered
    samples = families["http_requests"].samples
    assert {s.labels["method"] for s in samples} == {"other"}
    assert sum(s.value for s in samples if s.name == "http_requests_total") == 3

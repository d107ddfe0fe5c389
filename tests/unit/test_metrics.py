"""The metrics contract, in one process (multiprocess mode is proven under gunicorn).

The metrics live in prometheus_client's default registry, as its documentation declares
them, so every app built in this process adds to the same series: each test reads what its
own requests added, a scrape before and a scrape after.
"""

from datetime import UTC, datetime

from prometheus_client.parser import text_string_to_metric_families

from app.state import EXTENSION


def scrape(client) -> dict:
    """{(sample name, sorted labels): value} of one /metrics answer."""
    text = client.get("/metrics").get_data(as_text=True)
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def added(before: dict, after: dict, name: str, **labels) -> float:
    """How much the samples called `name` with (at least) `labels` grew between two scrapes."""

    def total(scraped):
        return sum(
            value
            for (sample, sample_labels), value in scraped.items()
            if sample == name and labels.items() <= dict(sample_labels).items()
        )

    return total(after) - total(before)


def test_request_counter_uses_the_url_rule_not_the_raw_path(client):
    before = scrape(client)
    client.get("/healthz")
    client.get("/no/such/page/123")
    client.get("/no/such/page/456")
    after = scrape(client)
    assert added(before, after, "http_requests_total", route="/healthz") == 1
    assert added(before, after, "http_requests_total", route="<unmatched>", status="404") == 2
    assert not any("123" in str(labels) for _, labels in after)


def test_prediction_metrics_count_class_confidence_and_input_bins(client, predict_body, app):
    model = app.extensions[EXTENSION].model
    before = scrape(client)
    for _ in range(3):
        prediction = client.post("/api/v1/predict", json=predict_body).get_json()["prediction"]
    after = scrape(client)
    version = model.version
    assert added(before, after, "model_predictions_total", predicted_class=prediction) == 3
    assert added(before, after, "model_prediction_confidence_count", model_version=version) == 3
    bins = [labels for name, labels in after if name == "model_input_bin_total"]
    assert len(bins) == 10 * len(model.feature_names)  # every bin exists, even at 0
    assert added(before, after, "model_input_bin_total") == 3 * len(model.feature_names)
    first = model.feature_names[0]
    expected_bin = str(model.bin_of(0, predict_body["features"][first]))
    assert added(before, after, "model_input_bin_total", feature=first, bin=expected_bin) == 3


def test_info_gauges_and_process_metrics(client, app):
    before = scrape(client)
    client.get("/healthz")
    after = scrape(client)
    settings = app.extensions[EXTENSION].settings
    build = {"version": settings.app_version, "git_sha": settings.git_sha}
    assert after[("app_build_info", tuple(sorted(build.items())))] == 1
    version = app.extensions[EXTENSION].model.version
    assert after[("model_active_info", (("model_version", version),))] == 1
    assert after[("process_resident_memory_bytes", ())] > 0
    assert after[("process_cpu_seconds_total", ())] > 0
    assert ("http_requests_in_flight", ()) in after
    count = "http_request_duration_seconds_count"
    assert added(before, after, count, route="/healthz") == 1


def test_the_commit_time_is_a_gauge_only_when_the_build_knows_it(make_app):
    def commit_times(git_sha, **settings):
        scraped = scrape(make_app(git_sha=git_sha, **settings).test_client())
        return [
            value
            for (name, labels), value in scraped.items()
            if name == "app_commit_timestamp_seconds" and ("git_sha", git_sha) in labels
        ]

    known = datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert commit_times("abc1234", git_commit_time=known) == [1_714_564_800]
    assert commit_times("def5678") == []  # an unknown time: no series rather than a zero (1970)


def test_every_commit_a_deployment_brings_has_its_time(make_app):
    """Lead time counts every commit of a batch: each gets a series; the max is the build's."""
    head = datetime(2024, 5, 1, 12, tzinfo=UTC)
    earlier = (("aaa1111", datetime(2024, 5, 1, 10, tzinfo=UTC)),)
    client = make_app(git_sha="bbb2222", git_commit_time=head, git_changes=earlier).test_client()
    ours = {"aaa1111", "bbb2222"}  # other tests' apps share the registry
    times = {
        dict(labels)["git_sha"]: value
        for (name, labels), value in scrape(client).items()
        if name == "app_commit_timestamp_seconds" and dict(labels)["git_sha"] in ours
    }
    assert times == {"bbb2222": 1_714_564_800, "aaa1111": 1_714_557_600}


def test_invented_methods_cannot_mint_series(client):
    before = scrape(client)
    for verb in ("FOO", "BAR", "BAZ"):
        assert client.open("/healthz", method=verb).status_code == 405
    after = scrape(client)
    assert added(before, after, "http_requests_total", method="other", status="405") == 3
    assert not any(("method", verb) in labels for _, labels in after for verb in ("FOO", "BAR"))

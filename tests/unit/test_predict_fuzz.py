"""Two thousand malformed bodies against /api/v1/predict: zero 5xx, always the error shape."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
FUZZ = settings(
    max_examples=800, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def check(response):
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code != 200:
        error = response.get_json()["error"]
        assert error["status"] == response.status_code
        assert error["message"]


@FUZZ
@given(body=json_values)
def test_any_json_document(client, body):
    check(client.post("/api/v1/predict", json=body))


@FUZZ
@given(data=st.data())
def test_a_valid_body_with_one_feature_broken(client, predict_body, data):
    features = dict(predict_body["features"])
    name = data.draw(st.sampled_from(sorted(features)))
    action = data.draw(st.sampled_from(["replace", "delete", "rename"]))
    if action == "replace":
        features[name] = data.draw(json_values | st.floats() | st.integers(min_value=-(10**400)))
    elif action == "delete":
        del features[name]
    else:
        features[data.draw(st.text(max_size=15))] = features.pop(name)
    raw = json.dumps({"features": features})  # floats('nan') become NaN: rejected as JSON
    check(client.post("/api/v1/predict", data=raw, content_type="application/json"))


@settings(
    max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    raw=st.binary(max_size=300),
    content_type=st.sampled_from(
        [
            "application/json",
            "text/plain",
            "application/x-www-form-urlencoded",
            "",
            "application/xml",
        ]
    ),
)
def test_arbitrary_bytes_and_content_types(client, raw, content_type):
    check(client.post("/api/v1/predict", data=raw, content_type=content_type))

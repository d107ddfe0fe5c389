"""The fast validity check agrees with jsonschema: it never accepts what the schema rejects,
and it does accept valid requests (otherwise it would be dead code)."""

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from app.schemas import _compile_fast_check, predict_request_schema

FEATURES = ("alcohol", "ash", "hue")
SCHEMA = predict_request_schema(FEATURES)
fast = _compile_fast_check(SCHEMA)
reference = Draft202012Validator(SCHEMA)

values = (
    st.floats(allow_nan=False)
    | st.integers(min_value=-(10**7), max_value=10**7)
    | st.booleans()
    | st.none()
    | st.text(max_size=3)
    | st.lists(st.integers(), max_size=2)
)
feature_maps = st.dictionaries(
    st.sampled_from([*FEATURES, "extra", ""]), values, max_size=len(FEATURES) + 1
)
bodies = st.one_of(
    st.fixed_dictionaries({"features": feature_maps}),
    st.dictionaries(st.sampled_from(["features", "other"]), feature_maps | values, max_size=2),
    values,
)


@settings(max_examples=3000, deadline=None)
@given(body=bodies)
def test_fast_check_never_accepts_an_invalid_body(body):
    if fast(body):
        assert reference.is_valid(body)


@settings(max_examples=500, deadline=None)
@given(
    numbers=st.lists(st.floats(-1e6, 1e6) | st.integers(-(10**6), 10**6), min_size=3, max_size=3)
)
def test_fast_check_accepts_every_valid_body(numbers):
    body = {"features": dict(zip(FEATURES, numbers, strict=True))}
    assert reference.is_valid(body)
    assert fast(body)


def test_unknown_keywords_disable_the_fast_path():
    assert _compile_fast_check({"type": "string", "pattern": "x"}) is None
    assert _compile_fast_check({**SCHEMA, "minProperties": 1}) is None

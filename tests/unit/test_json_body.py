"""The two JSON decoders of app/requests.py: orjson reads a body first, and whatever it
refuses goes to the standard decoder. That is only safe while orjson reads every body it
accepts exactly as the standard decoder would."""

import json
import math

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.requests import _strict_decoder

# JSON values as a client sends them: no lone surrogates (the standard decoder would read
# them, orjson refuses them, and both then answer 400 through the schema or the parser) and
# integers within 64 bits (orjson reads larger ones as floats; float() takes either).
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=("Cs",)))
)
values = st.recursive(
    scalars, lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=20
)


@settings(max_examples=500, deadline=None)
@given(values, st.sampled_from([None, 2]), st.booleans())
def test_orjson_reads_every_body_as_the_standard_decoder_does(value, indent, ascii_only):
    raw = json.dumps(value, indent=indent, ensure_ascii=ascii_only)
    fast = orjson.loads(raw.encode("utf-8"))
    assert fast == _strict_decoder.decode(raw)


@pytest.mark.parametrize(
    "raw",
    [
        '{"features": NaN}',
        '{"features": -Infinity}',
        '{"features": {"alcohol": 1} trailing',
        "\ufeff{}",
        "[" * 1100 + "]" * 1100,  # deeper than orjson's 1024 levels
        "",
    ],
    ids=["NaN", "-Infinity", "trailing", "BOM", "deep", "empty"],
)
def test_a_body_both_refuse_is_a_400_naming_the_body(client, raw):
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(raw.encode("utf-8"))
    response = client.post("/api/v1/predict", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "body"


@pytest.mark.parametrize(
    ("number", "field"), [("1e400", "features.alcohol"), ("-1e400", "features.alcohol")]
)
def test_a_number_only_orjson_refuses_gets_the_schema_error_naming_its_field(
    client, sample, number, field
):
    features = dict(sample["features"], alcohol=math.pi)
    raw = json.dumps({"features": features}).replace(repr(math.pi), number)
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(raw.encode("utf-8"))
    response = client.post("/api/v1/predict", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == field

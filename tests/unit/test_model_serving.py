"""The serving-side loader (model_registry) against the committed registry in models/."""

import csv
import math
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.api import FEATURE_LIMIT
from model_registry import ModelError, load_active, load_version
from tests.helpers import ROOT


@pytest.fixture
def registry(tmp_path):
    target = tmp_path / "models"
    shutil.copytree(ROOT / "models", target)
    return target


def base_rows():
    with (ROOT / "data" / "wine.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_active_model_predicts_the_base_data_well():
    model = load_active(ROOT / "models")
    rows = base_rows()
    hits = 0
    for row in rows:
        probas = model.predict_proba([float(row[name]) for name in model.feature_names])
        assert len(probas) == len(model.classes)
        assert math.isclose(sum(probas), 1.0, abs_tol=1e-9)
        assert all(0.0 <= p <= 1.0 for p in probas)
        hits += model.classes[probas.index(max(probas))] == row["label"]
    assert hits / len(rows) > 0.95


def test_feature_order_and_classes_follow_the_contract():
    model = load_active(ROOT / "models")
    assert model.feature_names[0] == "alcohol"
    assert model.feature_names[-1] == "proline"
    assert "od280_od315" in model.feature_names
    assert model.classes == ("class_0", "class_1", "class_2")


def test_bins_split_the_training_like_data_into_deciles():
    model = load_active(ROOT / "models")
    rows = base_rows()
    i = model.feature_names.index("proline")
    counts = [0] * 10
    for row in rows:
        counts[model.bin_of(i, float(row["proline"]))] += 1
    assert all(10 <= c <= 26 for c in counts), counts  # ~17.8 each
    assert model.bin_of(i, -1e9) == 0
    assert model.bin_of(i, 1e9) == 9


def test_metadata_is_json_and_names_the_dataset():
    meta = load_active(ROOT / "models").metadata()
    assert meta["status"] == "active"
    assert len(meta["dataset"]["sha256"]) == 64
    assert meta["dataset"]["rows"] >= 178
    assert meta["metrics"]["holdout"]["accuracy"] > 0.9


def test_wrong_number_of_values_is_a_value_error():
    model = load_active(ROOT / "models")
    with pytest.raises(ValueError, match="expected 13"):
        model.predict_proba([1.0, 2.0])


def test_absurd_values_raise_value_error_not_overflow():
    model = load_active(ROOT / "models")
    with pytest.raises(ValueError, match="not finite"):
        model.predict_proba([1e308] * len(model.feature_names))


def test_unknown_version_is_refused_with_the_known_ones(registry):
    with pytest.raises(ModelError, match=r"'v999' is not in the registry \(known: v1"):
        load_version(registry, "v999")


def test_missing_registry_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="index not found"):
        load_active(tmp_path)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.floats(min_value=-FEATURE_LIMIT, max_value=FEATURE_LIMIT, allow_nan=False),
        min_size=13,
        max_size=13,
    )
)
def test_any_value_the_api_accepts_gives_valid_probabilities(values):
    """app/api.py bounds each feature by FEATURE_LIMIT; within it the math stays finite."""
    model = load_active(ROOT / "models")
    probas = model.predict_proba(values)
    assert math.isclose(sum(probas), 1.0, abs_tol=1e-9)
    assert all(0.0 <= p <= 1.0 for p in probas)
    assert all(0 <= model.bin_of(i, v) <= 9 for i, v in enumerate(values))

"""Stages 1-2: data collection (dataset version) and preprocessing (row validation, split)."""

import hashlib
import re

import pytest

from ml.__main__ import main
from ml.collect import collect
from ml.export_base import base_rows, to_csv
from ml.preprocess import DataValidationError, preprocess, validate
from tests.helpers import ROOT
from tests.unit.test_ml_support import base_dicts, make_workspace, write_batch


def test_committed_csv_is_exactly_the_scikit_learn_export():
    header, rows = base_rows()
    assert to_csv(header, rows) == (ROOT / "data" / "wine.csv").read_text()


def test_data_card_describes_the_committed_csv():
    card = (ROOT / "data" / "DATACARD.md").read_text()
    sha = hashlib.sha256((ROOT / "data" / "wine.csv").read_bytes()).hexdigest()
    rows = base_dicts()
    assert f"`{sha}`" in card
    assert f"| rows | {len(rows)} |" in card
    for label in ("class_0", "class_1", "class_2"):
        count = sum(r["label"] == label for r in rows)
        assert re.search(rf"{label}: {count}\b", card)
    assert "CC BY 4.0" in card


def test_without_batches_the_dataset_version_is_the_file_hash(tmp_path):
    ws = make_workspace(tmp_path)
    collected = collect(ws)
    assert collected.sha256 == hashlib.sha256(ws.base_csv.read_bytes()).hexdigest()
    assert len(collected.records) == 178


def test_a_batch_changes_the_dataset_version(tmp_path):
    ws = make_workspace(tmp_path)
    before = collect(ws).sha256
    row = dict(base_dicts()[0], alcohol="14.5")
    write_batch(ws, "extra.csv", [row])
    after = collect(ws)
    assert after.sha256 != before
    assert len(after.records) == 179
    assert after.sources[1].path == "data/incoming/extra.csv"


def test_a_bad_batch_is_rejected_naming_rows_and_columns(tmp_path):
    ws = make_workspace(tmp_path)
    good = base_dicts()
    bad = [
        dict(good[0], alcohol=""),  # line 2: missing
        dict(good[1], proline="lots"),  # line 3: not a number
        dict(good[2], hue="9.5"),  # line 4: out of range
        dict(good[3], label="merlot"),  # line 5: unknown label
        dict(good[4]),  # line 6: duplicate of data/wine.csv line 6
        dict(good[5], magnesium="nan"),  # line 7: not finite
    ]
    write_batch(ws, "bad.csv", bad)
    with pytest.raises(DataValidationError) as caught:
        validate(ws, collect(ws))
    found = {(p.source, p.line, p.column) for p in caught.value.problems}
    assert found == {
        ("data/incoming/bad.csv", 2, "alcohol"),
        ("data/incoming/bad.csv", 3, "proline"),
        ("data/incoming/bad.csv", 4, "hue"),
        ("data/incoming/bad.csv", 5, "label"),
        ("data/incoming/bad.csv", 6, "*"),
        ("data/incoming/bad.csv", 7, "magnesium"),
    }
    text = str(caught.value)
    assert "data/incoming/bad.csv:6  *: duplicate of data/wine.csv:6" in text
    assert "unknown label 'merlot'" in text


def test_a_batch_with_wrong_columns_is_rejected(tmp_path):
    ws = make_workspace(tmp_path)
    row = dict(base_dicts()[0], alcohol="14.9")
    row["sugar"] = row.pop("hue")
    write_batch(ws, "columns.csv", [row])
    with pytest.raises(DataValidationError) as caught:
        validate(ws, collect(ws))
    messages = {(p.column, p.message) for p in caught.value.problems if p.line == 1}
    assert ("hue", "column missing from the header") in messages
    assert ("sugar", "unexpected column") in messages


def test_bad_batch_stops_the_pipeline_before_training(tmp_path, capsys):
    ws = make_workspace(tmp_path)
    write_batch(ws, "bad.csv", [dict(base_dicts()[0], ash="-1")])
    assert main(["--root", str(tmp_path), "train"]) == 2
    err = capsys.readouterr().err
    assert "REJECTED" in err and "data/incoming/bad.csv:2  ash" in err
    assert "nothing downstream ran" in err
    assert not ws.candidate_path.exists()


def test_split_is_deterministic_and_stratified(tmp_path):
    ws = make_workspace(tmp_path)
    first, second = preprocess(ws, collect(ws)), preprocess(ws, collect(ws))
    assert first.X_test == second.X_test and first.y_test == second.y_test
    assert len(first.y_test) == 45
    for label in ("class_0", "class_1", "class_2"):
        share_all = first.dataset.y.count(label) / len(first.dataset.y)
        share_test = first.y_test.count(label) / len(first.y_test)
        assert abs(share_all - share_test) < 0.05

"""Stages 8-9: drift is measurable in the input bins, and retraining on the new batch fixes it."""

import csv
import json

from ml.__main__ import main
from ml.collect import collect
from ml.drift import SHIFTS, bin_shares, psi, shift_features
from ml.evaluate import score
from ml.preprocess import validate
from ml.retrain import retrain
from ml.simulate_drift import simulate_drift
from model_registry import ARCHIVED, load_active, load_file
from tests.unit.test_ml_support import base_dicts, make_workspace, quick


def numeric_rows(path) -> list[dict]:
    with open(path, newline="") as handle:
        return [
            {k: (v if k == "label" else float(v)) for k, v in row.items()}
            for row in csv.DictReader(handle)
        ]


def feature_psi(model, rows) -> dict[str, float]:
    return {
        name: psi(bin_shares(model.bin_of(i, row[name]) for row in rows))
        for i, name in enumerate(model.feature_names)
    }


def test_shift_features_changes_only_the_drifted_features_and_copies():
    row = {k: float(v) for k, v in base_dicts()[0].items() if k != "label"}
    original = dict(row)
    shifted = shift_features({**row, "extra": "kept"})
    assert row == original  # the input is not modified
    assert shifted["extra"] == "kept"
    changed = {k for k in row if shifted[k] != row[k]}
    assert changed == set(SHIFTS)


def test_psi_is_zero_for_uniform_bins_and_large_for_a_pile_up():
    assert psi([0.1] * 10) == 0.0
    assert psi([0.55, 0.45] + [0.0] * 8) > 2


def test_simulated_batch_is_valid_data_that_moves_the_input_bins(tmp_path):
    ws = make_workspace(tmp_path)
    path = simulate_drift(ws, rows=120)
    assert path.name == "drift-001.csv"
    validate(ws, collect(ws))  # a drifted batch is real data: it passes preprocessing
    model = load_active(ws.model_dir)
    drifted = feature_psi(model, numeric_rows(path))
    baseline = feature_psi(model, numeric_rows(ws.base_csv))
    for name in model.feature_names:
        assert baseline[name] < 0.1, (name, baseline[name])  # training-like: ~10 % per bin
    for name in SHIFTS:
        assert drifted[name] > 0.5, (name, drifted[name])  # far from 10 % per bin
        shares = bin_shares(
            model.bin_of(model.feature_names.index(name), row[name]) for row in numeric_rows(path)
        )
        # most values pile up at one end: where 30 % of the training data lives
        assert max(sum(shares[:3]), sum(shares[-3:])) > 0.6, (name, shares)


def test_simulate_drift_never_overwrites_a_batch(tmp_path, capsys):
    ws = make_workspace(tmp_path)
    assert main(["--root", str(tmp_path), "simulate-drift", "--rows", "30"]) == 0
    assert main(["--root", str(tmp_path), "simulate-drift", "--rows", "30"]) == 0
    first, second = sorted(ws.incoming_dir.glob("drift-*.csv"))
    assert (first.name, second.name) == ("drift-001.csv", "drift-002.csv")
    assert first.read_text() != second.read_text()
    assert "wrote data/incoming/drift-002.csv" in capsys.readouterr().out


def test_drift_then_retrain_promotes_a_model_that_handles_the_drift(tmp_path):
    ws = quick(make_workspace(tmp_path))
    simulate_drift(ws, rows=120)
    assert retrain(ws) == "v2"
    assert load_active(ws.model_dir).version == "v2"
    assert json.loads((ws.reports_dir / "evaluate.json").read_text())["passed"] is True

    # fresh drifted wines the models never saw (another seed), scored by both versions
    fresh = tmp_path / "fresh"
    fresh_ws = make_workspace(fresh, with_models=False)
    path = simulate_drift(fresh_ws, rows=120, seed=999)
    rows = numeric_rows(path)
    X = [[row[f] for f in load_active(ws.model_dir).feature_names] for row in rows]
    y = [row["label"] for row in rows]
    old = score(load_file(ws.model_dir / "wine-classifier-v1.json", status=ARCHIVED), X, y)
    new = score(load_active(ws.model_dir), X, y)
    assert new["accuracy"] >= 0.9
    assert new["accuracy"] > old["accuracy"] + 0.05, (old["accuracy"], new["accuracy"])


def test_retrain_without_new_data_changes_nothing(tmp_path, capsys):
    ws = make_workspace(tmp_path)
    before = (ws.model_dir / "index.json").read_bytes()
    assert main(["--root", str(tmp_path), "retrain"]) == 0
    assert "nothing to retrain: active v1" in capsys.readouterr().out
    assert (ws.model_dir / "index.json").read_bytes() == before


def _model_rule(key: str, name: str) -> str:
    import yaml

    from tests.helpers import ROOT

    groups = yaml.safe_load((ROOT / "monitoring/prometheus/rules/model.yml").read_text())["groups"]
    return next(r["expr"] for g in groups for r in g["rules"] if r.get(key) == name)


def test_empty_bins_count_as_the_same_share_here_and_in_the_prometheus_rule():
    import re

    from ml.drift import EMPTY_BIN_SHARE

    rule = _model_rule("record", "feature_bin:model_input_proportion:ratio30m")
    epsilons = {float(x) for x in re.findall(r"(?:,\s*|\*\s*0\s*\+\s*)([0-9.]+)\s*\)?", rule)}
    assert epsilons == {EMPTY_BIN_SHARE}


def test_drift_check_calls_drift_where_the_alert_fires():
    import re

    from ml.drift import DRIFT_PSI

    alert = _model_rule("alert", "ModelInputDrift")
    threshold = re.search(r"feature:model_input_psi:30m\s*>\s*([0-9.]+)", alert).group(1)
    assert float(threshold) == DRIFT_PSI

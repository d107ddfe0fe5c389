"""Stage 6: the quality gate really fails a bad model and passes the real one."""

import csv
import json
import random

import pytest

from ml.__main__ import main
from ml.collect import collect
from ml.evaluate import StaleCandidateError, evaluate, perturbation_invariance, score
from ml.preprocess import preprocess
from ml.train import train
from model_registry import CANDIDATE, Model, load_active, load_file
from tests.helpers import ROOT
from tests.unit.test_ml_support import base_dicts, make_workspace, quick, write_batch


def shuffle_labels(ws) -> None:
    rows = base_dicts()
    labels = [r["label"] for r in rows]
    random.Random(7).shuffle(labels)
    with ws.base_csv.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(dict(r, label=label) for r, label in zip(rows, labels, strict=True))


def test_gate_passes_the_real_model(tmp_path, capsys):
    ws = make_workspace(tmp_path)
    train(ws)
    assert main(["--root", str(tmp_path), "evaluate"]) == 0
    out = capsys.readouterr().out
    assert "GATE PASSED" in out and "[FAIL]" not in out
    report = json.loads((ws.reports_dir / "evaluate.json").read_text())
    assert report["passed"] is True
    assert report["active_version"] == "v1"
    assert report["metrics"]["accuracy"] >= ws.config["gate"]["thresholds"]["accuracy"]
    summary = (ws.root / "reports" / "model-gate.md").read_text()  # the retrain PR body
    assert "Quality gate passed: candidate v2" in summary
    assert "| accuracy >= 0.9 | pass |" in summary


def test_gate_fails_a_model_trained_on_shuffled_labels(tmp_path, capsys):
    ws = quick(make_workspace(tmp_path))
    shuffle_labels(ws)
    train(ws)
    assert main(["--root", str(tmp_path), "evaluate"]) == 1
    out = capsys.readouterr().out
    assert "GATE FAILED" in out
    assert "[FAIL] accuracy >= 0.9" in out
    assert "[FAIL] macro_f1 >= 0.9" in out
    report = json.loads((ws.reports_dir / "evaluate.json").read_text())
    assert report["passed"] is False
    assert report["metrics"]["accuracy"] < 0.6
    assert "| accuracy >= 0.9 | **FAIL** |" in (ws.root / "reports" / "model-gate.md").read_text()


def degrade(document: dict, features: list[str]) -> dict:
    """The candidate with some features' weights zeroed: still a valid model, just worse."""
    degraded = json.loads(json.dumps(document))
    for name in features:
        i = degraded["features"].index(name)
        for row in degraded["parameters"]["coef"]:
            row[i] = 0.0
    return degraded


def test_gate_fails_a_regression_against_the_active_model(tmp_path):
    ws = quick(make_workspace(tmp_path))
    train(ws)
    data = preprocess(ws, collect(ws))
    document = load_file(ws.candidate_path, status=CANDIDATE).document
    keep = {"flavanoids", "hue", "malic_acid"}
    worse = degrade(document, [f for f in document["features"] if f not in keep])
    worse_metrics = score(Model.from_document(worse, status=CANDIDATE), data.X_test, data.y_test)
    worse["metrics"]["holdout"] = worse_metrics  # honest record: no parity failure
    ws.candidate_path.write_text(json.dumps(worse))
    active = score(load_active(ws.model_dir), data.X_test, data.y_test)
    tolerance = ws.config["gate"]["regression_tolerance"]
    assert worse_metrics["accuracy"] < active["accuracy"] - tolerance  # the premise
    ws.config["gate"]["thresholds"] = {"accuracy": 0.5, "macro_f1": 0.5}  # floors pass

    result = evaluate(ws)
    failed = {c["check"] for c in result.checks if not c["passed"]}
    assert not result.passed
    assert failed == {
        f"accuracy no worse than active v1 - {tolerance}",
        f"macro_f1 no worse than active v1 - {tolerance}",
    }


def test_gate_fails_when_served_model_disagrees_with_training_record(tmp_path):
    ws = quick(make_workspace(tmp_path))
    train(ws)
    document = json.loads(ws.candidate_path.read_text())
    document["metrics"]["holdout"]["accuracy"] = 0.5  # a lie about what was trained
    ws.candidate_path.write_text(json.dumps(document))
    failed = [c["check"] for c in evaluate(ws).checks if not c["passed"]]
    assert failed == ["served model reproduces training accuracy"]


def test_a_candidate_trained_on_other_data_is_not_evaluated(tmp_path, capsys):
    ws = quick(make_workspace(tmp_path))
    train(ws)
    write_batch(ws, "late.csv", [dict(base_dicts()[0], alcohol="14.61")])
    with pytest.raises(StaleCandidateError, match="run `make train` again"):
        evaluate(ws)
    assert main(["--root", str(tmp_path), "evaluate"]) == 2


def test_evaluate_without_a_candidate_says_train_first(tmp_path, capsys):
    make_workspace(tmp_path)
    assert main(["--root", str(tmp_path), "evaluate"]) == 2
    assert "run `make train` first" in capsys.readouterr().err


def test_behaviour_prediction_is_invariant_to_a_tiny_perturbation():
    model = load_active(ROOT / "models")
    rows = [[float(r[f]) for f in model.feature_names] for r in base_dicts()]
    assert perturbation_invariance(model, rows, relative=0.001) == 1.0


def test_invariance_check_catches_a_model_on_a_knife_edge():
    """The behavioural check can fail: a boundary through a data point flips on a nudge."""
    document = json.loads((ROOT / "models" / "wine-classifier-v1.json").read_text())
    row = [float(base_dicts()[0][f]) for f in document["features"]]
    n = len(row)
    document["preprocessing"] = {"type": "standard_scaler", "mean": row, "scale": [1.0] * n}
    document["parameters"] = {
        "coef": [[1.0] + [0.0] * (n - 1), [-1.0] + [0.0] * (n - 1), [0.0] * n],
        "intercept": [0.0, 0.0, 0.0],
    }
    model = Model.from_document(document, status=CANDIDATE)
    assert perturbation_invariance(model, [row], 0.001) == 0.0

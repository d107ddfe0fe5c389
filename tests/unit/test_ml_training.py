"""Stages 3-5 and 8: model building, optimization, training, the artifact it writes."""

import json

import pytest

from ml import train as train_stage
from ml.collect import collect
from ml.drift import bin_shares
from ml.preprocess import preprocess
from model_registry import load_file
from tests.unit.test_ml_support import make_workspace

# what may differ between two runs on the same data and config: when, from which commit, which run
VOLATILE = {"created_at", "git_sha", "mlflow_run_id"}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    ws = make_workspace(tmp_path_factory.mktemp("train"))
    return ws, train_stage.train(ws)


def stable(document: dict) -> dict:
    return {k: v for k, v in document.items() if k not in VOLATILE}


def test_training_is_reproducible(trained, tmp_path, capsys):
    _, first = trained
    second = train_stage.train(make_workspace(tmp_path))
    assert stable(second.document) == stable(first.document)
    assert second.search.trials == first.search.trials
    out = capsys.readouterr().out  # what a student sees: the candidate, its run, what next
    assert "candidate v2 -> build/ml/candidate.json" in out
    assert f"MLflow run {second.document['mlflow_run_id']} in " in out
    assert "next: `make evaluate`" in out


def test_training_matches_the_committed_active_model(trained):
    """The committed v1 was made by this code from this data and config."""
    from tests.helpers import ROOT

    _, result = trained
    committed = json.loads((ROOT / "models" / "wine-classifier-v1.json").read_text())
    ours = stable(result.document)
    assert ours["dataset"] == committed["dataset"]
    assert ours["training"] == committed["training"]
    assert ours["monitoring"] == committed["monitoring"]
    holdout, committed_holdout = ours["metrics"]["holdout"], committed["metrics"]["holdout"]
    assert holdout["accuracy"] == committed_holdout["accuracy"]
    # floating point may differ in the last digits on another CPU/BLAS, not more
    assert holdout["log_loss"] == pytest.approx(committed_holdout["log_loss"], abs=1e-4)
    for row_ours, row_committed in zip(
        ours["parameters"]["coef"], committed["parameters"]["coef"], strict=True
    ):
        assert row_ours == pytest.approx(row_committed, rel=1e-6, abs=1e-9)


def test_training_leaves_the_registry_alone(trained):
    ws, result = trained
    assert ws.candidate_path.exists()
    assert result.document["version"] == "v2"  # next free number, not yet registered
    assert json.loads((ws.model_dir / "index.json").read_text())["active"] == "v1"
    assert not (ws.model_dir / "wine-classifier-v2.json").exists()


def test_every_trial_and_the_winner_are_in_the_run_report(trained):
    ws, result = trained
    report = json.loads((ws.reports_dir / "train.json").read_text())
    grid = ws.config["optimization"]["grid"]["C"]
    assert [t["params"]["C"] for t in report["search"]["trials"]] == grid
    best = max(report["search"]["trials"], key=lambda t: t["mean"])
    assert report["best_params"] == best["params"]
    assert result.document["training"]["params"]["C"] == best["params"]["C"]


def test_served_model_reproduces_scikit_learn_probabilities(trained):
    ws, result = trained
    from ml.build import build_estimator

    data = preprocess(ws, collect(ws))
    pipeline = build_estimator(ws, **result.search.best_params).fit(data.X_train, data.y_train)
    served = load_file(ws.candidate_path, status="candidate")
    expected = pipeline.predict_proba(data.X_test)
    for row, probas in zip(data.X_test, expected, strict=True):
        assert served.predict_proba(row) == pytest.approx(list(probas), abs=1e-9)


def test_bin_edges_give_deciles_on_training_data(trained):
    ws, _ = trained
    data = preprocess(ws, collect(ws))
    model = load_file(ws.candidate_path, status="candidate")
    for i, name in enumerate(model.feature_names):
        shares = bin_shares(model.bin_of(i, row[i]) for row in data.X_train)
        if name == "magnesium":  # integers with ties: deciles can only be approximate
            assert max(shares) < 0.2, (name, shares)
        else:
            assert all(0.05 <= s <= 0.15 for s in shares), (name, shares)


def test_invalid_model_type_in_config_is_refused(tmp_path):
    ws = make_workspace(tmp_path)
    ws.config["model"]["type"] = "random_forest"
    with pytest.raises(ValueError, match="random_forest"):
        train_stage.train(ws)

"""`make train`, then `make experiments`: the MLflow UI shows the run that training recorded.

Training runs as a student runs it, without MLFLOW_TRACKING_URI, so into the default store in
the workspace's build/mlflow/; `mlflow server` then serves that very file, started as
`make experiments` starts it. The browser takes a student's way: home, the experiment, its
runs, the candidate's run.
"""

import json
import os
import re
import subprocess
import sys
from types import SimpleNamespace

import mlflow
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from ml.tracking import default_store
from tests.helpers import ROOT, loaded_from_elsewhere, require_tool, run_mlflow_server
from tests.unit.test_ml_support import make_workspace

# MLflow 3's UI opens in its GenAI mode, where an experiment shows traces, not runs.
MODEL_TRAINING = (By.XPATH, "//*[@role='button'][normalize-space()='Model training']")
# On a first visit the "MLflow Assistant" chat panel opens by itself and takes a quarter of the
# window: the run page then falls back to one column, its metrics below the fold.
CLOSE_ASSISTANT = (By.CSS_SELECTOR, "[data-assistant-ui] button[aria-label='Close']")
CHILD_RUNS = (By.CSS_SELECTOR, "[data-testid='key-value-Child runs'] a")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A candidate trained in a copy of the repository, and the MLflow UI on its store."""
    require_tool("uv")  # starts the server's tool environment
    workdir = tmp_path_factory.mktemp("mlflow-ui")
    ws = make_workspace(workdir / "student")
    env = {name: value for name, value in os.environ.items() if name != "MLFLOW_TRACKING_URI"}
    # make train, make register, make promote VERSION=v2: v2 becomes MLflow's champion.
    for step in (["train"], ["register"], ["promote", "v2"]):
        done = subprocess.run(
            [sys.executable, "-m", "ml", "--root", str(ws.root), *step],
            env={**env, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    candidate = json.loads(ws.candidate_path.read_text())
    with run_mlflow_server(workdir, f"sqlite:///{default_store(ws) / 'mlflow.db'}") as url:
        yield SimpleNamespace(url=url, ws=ws, candidate=candidate)


def run_link(candidate: dict):
    """The run as the runs page lists it: its name starts with the version and the config's
    hash (then the time it started)."""
    name = f"{candidate['version']} config {candidate['training']['config_sha256'][:7]} "
    return (By.PARTIAL_LINK_TEXT, name)


@pytest.fixture
def runs_page(browser, recorded):
    wait = WebDriverWait(browser, 60)  # the first load of the UI can take many seconds here
    browser.get(f"{recorded.url}/")
    wait.until(EC.element_to_be_clickable(MODEL_TRAINING)).click()
    wait.until(EC.element_to_be_clickable(CLOSE_ASSISTANT)).click()
    # The experiment is named after the model.
    wait.until(EC.element_to_be_clickable((By.LINK_TEXT, recorded.candidate["name"]))).click()
    return browser


def test_the_runs_page_lists_the_candidate_run(runs_page, recorded, screenshot):
    candidate = recorded.candidate
    run = WebDriverWait(runs_page, 30).until(EC.visibility_of_element_located(run_link(candidate)))
    screenshot("mlflow-runs")
    assert run.get_attribute("href").endswith(f"/runs/{candidate['mlflow_run_id']}")


def test_the_run_page_shows_the_candidates_metrics_and_trials(runs_page, recorded, screenshot):
    candidate = recorded.candidate
    wait = WebDriverWait(runs_page, 30)  # ignores "no such element" until it appears
    wait.until(EC.element_to_be_clickable(run_link(candidate))).click()
    trials = wait.until(EC.visibility_of_all_elements_located(CHILD_RUNS))

    def shown(metric: str) -> float:
        row = f"//*[@role='row'][.//a[.='{metric}']]"
        text = wait.until(lambda page: page.find_element(By.XPATH, row)).text
        # The row is the metric's name, its value, and the model logged with the run, if any.
        return float(re.search(r"-?\d+\.\d+(?:e-?\d+)?", text).group())

    holdout, cv = candidate["metrics"]["holdout"], candidate["metrics"]["cross_validation"]
    recorded_metrics = {
        **{f"holdout_{name}": holdout[name] for name in ("accuracy", "macro_f1", "log_loss")},
        f"best_cv_{cv['scoring']}": cv["mean"],
    }
    shown_metrics = {name: shown(name) for name in recorded_metrics}
    screenshot("mlflow-run")
    assert runs_page.current_url.endswith(f"/runs/{candidate['mlflow_run_id']}")
    # The UI rounds for display; four decimals must agree.
    assert shown_metrics == pytest.approx(recorded_metrics, abs=1e-4)
    # One nested run per point of the search grid, named after its parameters.
    grid = recorded.ws.config["optimization"]["grid"]["C"]
    assert sorted(trial.text for trial in trials) == sorted(f"C={c}" for c in grid)
    # The UI is one page: everything this whole walk loaded came from the server itself.
    assert loaded_from_elsewhere(runs_page, recorded.url) == []


def test_the_link_make_experiments_prints_opens_the_runs_table(browser, recorded, screenshot):
    experiment = mlflow.MlflowClient(recorded.url).get_experiment_by_name(
        recorded.candidate["name"]
    )
    browser.get(f"{recorded.url}/#/experiments/{experiment.experiment_id}/runs")
    run = WebDriverWait(browser, 60).until(
        EC.visibility_of_element_located(run_link(recorded.candidate))
    )
    screenshot("mlflow-runs-link")
    assert run.get_attribute("href").endswith(f"/runs/{recorded.candidate['mlflow_run_id']}")


def test_the_model_registry_page_shows_the_champion(browser, recorded, screenshot):
    name = recorded.candidate["name"]
    champion = mlflow.MlflowClient(recorded.url).get_model_version_by_alias(name, "champion")
    assert champion.tags["registry.version"] == "v2"
    browser.get(f"{recorded.url}/#/models/{name}")
    wait = WebDriverWait(browser, 60)
    wait.until(EC.visibility_of_element_located((By.LINK_TEXT, f"Version {champion.version}")))
    wait.until(lambda page: "champion" in page.find_element(By.TAG_NAME, "body").text)
    screenshot("mlflow-registry")

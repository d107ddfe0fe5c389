import os
import shutil
import tempfile

import pytest

from app import create_app
from app.config import Settings
from app.state import SharedState
from scripts.loadgen import load_rows
from tests.helpers import ROOT

_TRACKING_DIR = None


def pytest_configure(config):
    """One MLflow store for the whole session, as a team shares one tracking server.

    Creating a store costs seconds (its schema migrations); a store per training test would
    cost more than the tests. Set before any test module imports ml.tracking, which reads
    MLFLOW_TRACKING_URI once; a run made in a subprocess inherits it.
    """
    global _TRACKING_DIR
    if "MLFLOW_TRACKING_URI" not in os.environ:
        _TRACKING_DIR = tempfile.mkdtemp(prefix="lifecycle-lab-mlflow-")
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{_TRACKING_DIR}/mlflow.db"


def pytest_unconfigure(config):
    if _TRACKING_DIR:
        del os.environ["MLFLOW_TRACKING_URI"]
        shutil.rmtree(_TRACKING_DIR, ignore_errors=True)


@pytest.fixture
def make_app():
    """Build an app with settings overrides and a private shared-state page."""

    def build(**overrides):
        defaults = {"model_dir": str(ROOT / "models")}
        settings = Settings(**{**defaults, **overrides})
        return create_app(settings, shared_state=SharedState())

    return build


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def sample():
    """A valid predict body: the first row of the committed dataset."""
    return {"features": load_rows(ROOT / "data" / "wine.csv")[0]}

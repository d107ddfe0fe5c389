import shutil
import tempfile

import pytest

from app import create_app
from app.config import Settings
from ml import tracking
from scripts.loadgen import load_rows
from tests.helpers import ROOT

_TRACKING_DIR = None


def pytest_configure(config):
    """One MLflow store per test process, as a team shares one tracking server.

    Creating a store costs seconds (its schema migrations): a store per training test would
    cost more than the tests. A user's own MLFLOW_TRACKING_URI wins.
    """
    global _TRACKING_DIR
    if tracking.CHOSEN_URI is None:
        _TRACKING_DIR = tempfile.mkdtemp(prefix="lifecycle-lab-mlflow-")
        tracking.CHOSEN_URI = f"sqlite:///{_TRACKING_DIR}/mlflow.db"


def pytest_unconfigure(config):
    if _TRACKING_DIR:
        shutil.rmtree(_TRACKING_DIR, ignore_errors=True)


@pytest.fixture
def make_app():
    """Build an app as a user would, from settings (the committed registry unless overridden)."""

    def build(**overrides):
        return create_app(Settings(**{"model_dir": str(ROOT / "models"), **overrides}))

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

import os

import pytest

from app import create_app
from app.config import Settings
from tests.helpers import ROOT


@pytest.fixture(scope="session", autouse=True)
def tracking_store(tmp_path_factory):
    """One MLflow store per test process, as a team shares one tracking server: set through
    MLFLOW_TRACKING_URI, as a user points the pipeline at a store.

    Creating a store costs seconds (its schema migrations): a store per training test would
    cost more than the tests. A session fixture runs in each pytest-xdist worker, so workers
    never race to create the same store. A user's own MLFLOW_TRACKING_URI wins.
    """
    if "MLFLOW_TRACKING_URI" in os.environ:
        yield
        return
    store = tmp_path_factory.mktemp("mlflow")
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store}/mlflow.db")
        yield


@pytest.fixture(scope="session", autouse=True)
def registry_inside_each_workspace():
    """Each test workspace keeps its registry in its own temporary folder: a MODEL_DIR that
    the user exported (say /srv/models) must not send the tests' registrations there."""
    with pytest.MonkeyPatch.context() as environment:
        environment.delenv("MODEL_DIR", raising=False)
        yield


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

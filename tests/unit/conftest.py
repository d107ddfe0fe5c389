import pytest

from app import create_app
from app.config import Settings
from app.state import SharedState
from scripts.loadgen import load_rows
from tests.helpers import ROOT


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

import pytest

from scripts.loadgen import load_rows
from tests.helpers import ROOT


@pytest.fixture(scope="session")
def predict_body():
    """A valid predict body: the first row of the committed dataset."""
    return {"features": load_rows(ROOT / "data" / "wine.csv")[0]}

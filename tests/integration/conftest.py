import csv

import pytest

from tests.helpers import ROOT


@pytest.fixture(scope="session")
def predict_body():
    with (ROOT / "data" / "wine.csv").open() as handle:
        row = next(csv.DictReader(handle))
    return {"features": {k: float(v) for k, v in row.items() if k != "label"}}

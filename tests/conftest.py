import pytest

from tests.helpers import ROOT


@pytest.fixture(scope="session")
def root():
    return ROOT

import pytest
import yaml

from tests.helpers import ROOT


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture(scope="module")
def compose() -> dict:
    """docker/compose.yaml, parsed: its contract tests and its validator tests both read it."""
    return yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]

import pytest
import yaml

from tests.helpers import ROOT


def pytest_configure(config):
    # ml.tracking sets MLflow's defaults (telemetry off, short retries), and MLflow reads them
    # when it is imported: before any test module imports mlflow itself.
    import ml.tracking  # noqa: F401


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

import contextlib
import os
import signal

import pytest
import yaml

from ml.samples import load_rows
from tests.helpers import ROOT, STARTED_GROUPS, group_members


def pytest_configure(config):
    # ml.tracking sets MLflow's defaults (telemetry off, short retries), and MLflow reads them
    # when it is imported: before any test module imports mlflow itself.
    import ml.tracking  # noqa: F401


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture
def predict_body() -> dict:
    """A valid predict body: the first row of the committed dataset (a fresh copy per test,
    which may change it)."""
    return {"features": load_rows(ROOT / "data" / "wine.csv")[0]}


@pytest.fixture(scope="module")
def compose() -> dict:
    """docker/compose.yaml, parsed: its contract tests and its validator tests both read it."""
    return yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


@pytest.fixture(scope="session", autouse=True)
def nothing_outlives_the_suite():
    """After the last test, no process of any group a helper started may still run.

    Session fixtures are torn down last, after every test's and module's own servers have
    stopped; under pytest-xdist each worker process checks the groups it started itself. A
    survivor is killed, so the machine stays clean, and reported as an error of the run.
    """
    yield
    survivors = {}
    for group in STARTED_GROUPS:
        if members := group_members(group):
            survivors.update(members)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
    assert not survivors, f"processes outlived the tests that started them: {survivors}"

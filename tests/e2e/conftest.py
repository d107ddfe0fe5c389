"""Container end-to-end tests: they need a built image, so only `make e2e` runs them.

`make e2e` builds the image and sets E2E=1 plus the image reference and its expected
metadata; a plain `pytest` (or `make test`) skips this directory with that reason.
"""

import os

import pytest

from tests.e2e import engine as eng
from tests.helpers import require_tool


def pytest_collection_modifyitems(config, items):
    if os.environ.get("E2E") == "1":
        return
    skip = pytest.mark.skip(reason="container e2e: run `make e2e` (builds the image, sets E2E=1)")
    for item in items:
        if "tests/e2e/" in item.nodeid.replace("\\", "/"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def engine() -> str:
    return require_tool(os.environ.get("CONTAINER_ENGINE", "podman"))


@pytest.fixture(scope="session")
def image() -> str:
    return eng.env_or_fail("E2E_IMAGE")


@pytest.fixture(scope="session")
def image_config(engine, image) -> dict:
    return eng.inspect_image(engine, image)


@pytest.fixture(scope="session")
def app_container(engine, image):
    """One hardened container of the image, ready, shared by the smoke tests."""
    container = eng.start(engine, image)
    try:
        container.wait_ready()
        yield container
    finally:
        container.remove()

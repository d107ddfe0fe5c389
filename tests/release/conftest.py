"""The release loop's tests need podman, the loop's tools and an image built by podman, so
only `make test-release` runs them: it builds the image and names it in RELEASE_IMAGE, with
the commit it was built from in RELEASE_IMAGE_REVISION. Run directly without them, they skip
(and fail under CI)."""

import os

import pytest

from tests.e2e import engine as eng
from tests.helpers import missing, require_tool


@pytest.fixture(scope="session")
def image() -> str:
    if not os.environ.get("RELEASE_IMAGE"):
        missing("the release loop: run `make test-release` (builds the image, sets RELEASE_IMAGE)")
    return os.environ["RELEASE_IMAGE"]


@pytest.fixture(scope="session")
def engine() -> str:
    podman = require_tool("podman")
    for tool in ("docker-registry", "skopeo", "gpg", "curl"):
        require_tool(tool)
    return podman


@pytest.fixture(scope="session")
def revision() -> str:
    return eng.env_or_fail("RELEASE_IMAGE_REVISION")

"""Helpers shared by the test suites (importable as `tests.helpers`).

`require_tool` is how every test asks for an external program: on a developer machine a
missing tool skips the test with its name; under CI (`CI=true`) it fails the test, so a green
CI run can never hide an artifact that was not really checked.
"""

import os
import shutil
import socket
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_tool(name: str) -> str:
    """Return the path of tool `name`, looked up in the venv first, then on PATH."""
    search_path = f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    found = shutil.which(name, path=search_path)
    if found:
        return found
    message = f"required tool '{name}' is not installed"
    if in_ci():
        pytest.fail(f"{message} (CI=true: a missing tool is an error, not a skip)")
    pytest.skip(message)


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]

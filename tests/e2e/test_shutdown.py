"""SIGTERM, as `docker stop` / a Kubernetes pod deletion sends it: drain, then a clean exit.

Uses its own container: stopping the shared one would break the other tests.
"""

import subprocess
import time

import pytest

from tests.e2e import engine as eng

DRAIN_SECONDS = 3  # short, to keep the test quick; the image default is 5


@pytest.fixture
def doomed_container(engine, image):
    container = eng.start(engine, image, env={"DRAIN_SECONDS": str(DRAIN_SECONDS)})
    try:
        container.wait_ready()
        yield container
    finally:
        container.remove()


def test_sigterm_drains_then_exits_cleanly_within_the_grace(engine, doomed_container):
    grace = float(eng.env_or_fail("E2E_STOP_GRACE"))
    url = doomed_container.url
    eng.run(engine, "kill", "--signal", "TERM", doomed_container.id)

    # While draining: not ready (the load balancer stops sending), still alive and serving.
    saw_draining = False
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline and not saw_draining:
        try:
            saw_draining = eng.http_get(f"{url}/readyz", timeout=1)[0] == 503
            if saw_draining:
                assert eng.http_get(f"{url}/healthz", timeout=1)[0] == 200
        except OSError:
            break  # the listener is gone: the drain window is over
        time.sleep(0.1)
    assert saw_draining, "after SIGTERM /readyz never answered 503 while draining"

    # Then gunicorn stops by itself, before a stop would resort to SIGKILL.
    try:
        eng.run(engine, "wait", doomed_container.id, timeout=grace)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running {grace:.0f}s after SIGTERM:\n{doomed_container.logs()}")
    state = doomed_container.state()
    assert state["ExitCode"] == 0, f"exit code {state['ExitCode']}:\n{doomed_container.logs()}"

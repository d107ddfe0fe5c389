"""A thin driver for docker or podman (same CLI for what we use), for the e2e tests.

Containers run the way the docs tell a user to run the image: read-only root filesystem, a
tmpfs on /tmp (the only writable path), every capability dropped, no privilege escalation,
the port published on loopback only.
"""

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from tests.helpers import free_port

CONTAINER_PORT = 8000  # the image's PORT / EXPOSE; tests/infra checks they agree


def is_podman(engine: str) -> bool:
    return os.path.basename(engine) == "podman"


def remove(engine: str, container_id: str) -> None:
    """Force-remove a container; podman's `-t 0` skips its 10 s stop timeout (docker kills)."""
    quick = ["-t", "0"] if is_podman(engine) else []
    run(engine, "rm", "-f", *quick, container_id, check=False)


def run(engine: str, *args: str, timeout: float = 120, check: bool = True):
    return subprocess.run(
        [engine, *args], capture_output=True, text=True, timeout=timeout, check=check
    )


def inspect_image(engine: str, image: str) -> dict:
    return json.loads(run(engine, "image", "inspect", image).stdout)[0]


def http_get(url: str, timeout: float = 5) -> tuple[int, str]:
    """(status, body) — an HTTP error status is an answer too, not an exception."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def http_post_json(url: str, payload: dict, timeout: float = 5) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@dataclass
class Container:
    engine: str
    id: str
    url: str

    def logs(self) -> str:
        result = run(self.engine, "logs", self.id, check=False)
        return result.stdout + result.stderr

    def state(self) -> dict:
        return json.loads(run(self.engine, "inspect", self.id).stdout)[0]["State"]

    def exec(self, *command: str, check: bool = False):
        return run(self.engine, "exec", self.id, *command, check=check)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.state()["Running"]:
                raise AssertionError(f"container exited before ready:\n{self.logs()}")
            try:
                if http_get(f"{self.url}/readyz", timeout=2)[0] == 200:
                    return
            except OSError:
                pass  # not listening yet
            time.sleep(0.3)
        raise AssertionError(f"container not ready after {timeout}s:\n{self.logs()}")

    def remove(self) -> None:
        remove(self.engine, self.id)


def start(engine: str, image: str, env: dict[str, str] | None = None) -> Container:
    """Start the image detached, hardened as documented, and return once it has an id."""
    port = free_port()
    hardening = [
        "--read-only",
        "--tmpfs",
        "/tmp:rw,nosuid,nodev,size=64m",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
    ]
    env_args = [arg for name, value in (env or {}).items() for arg in ("-e", f"{name}={value}")]
    # podman would try to schedule the check with systemd timers; the test runs it itself.
    extra = ["--health-interval", "disable"] if is_podman(engine) else []
    container_id = run(
        engine,
        "run",
        "--pull=never",  # the image under test is the one just built, never a registry's
        "-d",
        *hardening,
        *extra,
        "-p",
        f"127.0.0.1:{port}:{CONTAINER_PORT}",
        *env_args,
        image,
    ).stdout.strip()
    return Container(engine, container_id, f"http://127.0.0.1:{port}")


def env_or_fail(name: str) -> str:
    value = os.environ.get(name, "")
    assert value, f"{name} must be set (run these tests with `make e2e`)"
    return value

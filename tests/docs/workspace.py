"""A throw-away copy of the repository where the documented commands run.

Commands such as `make retrain` or `make promote` write to `models/` and `data/`: run in the
real checkout they would leave it dirty. Each document runs in its own copy instead: the
files git tracks plus untracked, non-ignored ones (what you see in your checkout), committed
to a fresh git repository so `git diff` and `git restore` work as they do for a student.
`.venv` and `node_modules` are symlinks to the real ones (read-only use).

The copy also gets its own loopback ports: every documented port (8000 for the app, 9090
Prometheus, 9093 Alertmanager, 9095 the drift bridge, 5000 the MLflow UI, 5050 the release
registry) is mapped to a free one, in the commands, in the expected output and in the copy's
monitoring configs, so a doc test never collides with a server someone else runs on this
machine.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.helpers import ROOT, free_port

DOCUMENTED_PORTS = (8000, 9090, 9093, 9095, 5000, 5050)
PORTS_ALTERNATIVE = "|".join(str(port) for port in DOCUMENTED_PORTS)
PORT_IN_TEXT = re.compile(rf"\b(localhost|127\.0\.0\.1|0\.0\.0\.0):({PORTS_ALTERNATIVE})\b")
# The configs `make demo` reads its ports from (it has no port options: one source of truth).
PORT_CONFIGS = ("monitoring/prometheus/prometheus.yml", "monitoring/alertmanager/alertmanager.yml")
SHARED_DIRS = (".venv", "node_modules")
# Environment of a user's shell, not of the `make test` that runs us.
DROPPED_ENV = ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES", "VIRTUAL_ENV")


def repository_files(root: Path = ROOT) -> list[str]:
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return sorted(name for name in listing.split("\0") if name and (root / name).is_file())


class Workspace:
    def __init__(self, name: str) -> None:
        self.path = Path(tempfile.mkdtemp(prefix=f"doc-test-{name}-"))
        self.ports = {port: free_port() for port in DOCUMENTED_PORTS}
        for relative in repository_files():
            target = self.path / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / relative, target)
        for shared in SHARED_DIRS:
            if (ROOT / shared).exists():
                (self.path / shared).symlink_to(ROOT / shared)
        self._keep_venv_in_sync()
        for config in PORT_CONFIGS:
            file = self.path / config
            file.write_text(self.remap(file.read_text()))
        self._git("init", "-q", "-b", "main")
        self._git("add", "-A")
        self._git("commit", "-q", "--no-verify", "-m", "snapshot for the doc tests")

    def _keep_venv_in_sync(self) -> None:
        """Never let `make` re-sync the shared .venv from the copy (it would repoint it here).

        `make test` ran `make setup`, so the real .venv matches the lock; the copies of
        pyproject.toml and uv.lock are dated just before its stamp files.
        """
        stamps = list((ROOT / ".venv").glob(".synced-*"))  # one per dependency group
        if stamps:
            older = min(stamp.stat().st_mtime for stamp in stamps) - 1
            for name in ("pyproject.toml", "uv.lock"):
                os.utime(self.path / name, (older, older))

    def _git(self, *args: str) -> None:
        identity = {
            "GIT_AUTHOR_NAME": "doc test",
            "GIT_AUTHOR_EMAIL": "doc-test@localhost",
            "GIT_COMMITTER_NAME": "doc test",
            "GIT_COMMITTER_EMAIL": "doc-test@localhost",
        }
        subprocess.run(["git", *args], cwd=self.path, check=True, env={**os.environ, **identity})

    def remap(self, text: str) -> str:
        """Documented ports -> this workspace's ports."""
        return PORT_IN_TEXT.sub(lambda m: f"{m[1]}:{self.ports[int(m[2])]}", text)

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
        env.update(
            PYTHONPATH=str(self.path),  # scripts import the copy's packages, never the real ones
            PORT=str(self.ports[8000]),  # `make run` listens where the commands now point
            MLFLOW_PORT=str(self.ports[5000]),  # and so does `make experiments`
            REGISTRY_PORT=str(self.ports[5050]),  # and `make registry-up`
            # Containers `make deploy-podman` starts are named after this copy, not the
            # checkout: podman's containers are machine-wide.
            DEPLOY_NAME=self.path.name,
            HOST="127.0.0.1",  # loopback only
            DRAIN_SECONDS="1",  # stopping the servers at the end takes less time
            GIT_AUTHOR_NAME="doc test",
            GIT_AUTHOR_EMAIL="doc-test@localhost",
            GIT_COMMITTER_NAME="doc test",
            GIT_COMMITTER_EMAIL="doc-test@localhost",
        )
        return env

    def remove(self) -> None:
        # A lab that stopped half-way may leave what outlives a command: the release loop's
        # registry (its own PID file) and its podman environments. Stop them as a student would.
        if (self.path / "build/registry/registry.pid").exists():
            for cleanup in ("undeploy-podman ENV=staging", "registry-down"):
                subprocess.run(
                    ["make", "-s", *cleanup.split()],
                    cwd=self.path,
                    env=self.environment(),
                    capture_output=True,
                    check=False,
                )
        shutil.rmtree(self.path, ignore_errors=True)

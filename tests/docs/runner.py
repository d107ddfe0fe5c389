"""Run a document's commands in order, as a student would, in a throw-away workspace.

* An ordinary command runs once with bash; its exit status must be 0 (or the `fails (exit N)`
  the doc announces) and each expected output line must appear in stdout+stderr.
* A long-running server (`make run`, `make demo`, `make experiments`) starts in the
  background, like in a second terminal: the runner waits until it answers, checks the
  output the doc shows for it as that output arrives, and stops it (SIGTERM to all of it, see
  tests.helpers.stop_server) when the document ends.
* While a server runs, a command with an expected output is retried for a bounded time until
  the output appears: live systems take a scrape interval or an alert's `for:` to catch up,
  and the doc says so next to the command.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.docs.markdown import Command, missing_expectations
from tests.docs.workspace import Workspace
from tests.helpers import answers, start_server, stop_server

COMMAND_TIMEOUT = 180  # seconds for one foreground command
RETRY_WINDOW = 150  # seconds a command against a live server may take to show its output
SERVER_START = 90  # seconds for a server to answer

ENV_ASSIGNMENTS = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*=(?:'[^']*'|\"[^\"]*\"|\S*)\s+)*")


@dataclass
class ServerKind:
    name: str
    ready_paths: tuple[tuple[int, str], ...]  # (documented port, path) that must answer 200


SERVERS = {
    "make run": ServerKind("make run", ((8000, "/readyz"),)),
    "make demo": ServerKind(
        "make demo", ((8000, "/readyz"), (9090, "/-/ready"), (9093, "/-/ready"))
    ),
    "make experiments": ServerKind("make experiments", ((5000, "/health"),)),
}


def server_kind(command_text: str) -> ServerKind | None:
    bare = ENV_ASSIGNMENTS.sub("", command_text)
    for prefix, kind in SERVERS.items():
        if bare == prefix or bare.startswith(prefix + " "):
            return kind
    return None


@dataclass
class Server:
    command: Command
    kind: ServerKind
    proc: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Outcome:
    command: Command
    seconds: float
    attempts: int = 1


@dataclass
class DocumentRun:
    workspace: Workspace
    servers: list[Server] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    def run(self, commands: list[Command]) -> None:
        try:
            for command in commands:
                if command.skip:
                    continue
                started = time.monotonic()
                kind = server_kind(command.text)
                if command.background_output:
                    attempts = self._watch_server(command)
                elif kind:
                    attempts = self._start_server(command, kind)
                else:
                    attempts = self._run(command)
                self.outcomes.append(Outcome(command, time.monotonic() - started, attempts))
        finally:
            self.stop_servers()

    # -- foreground commands -------------------------------------------------------------
    def _execute(self, command: Command) -> subprocess.CompletedProcess:
        try:
            return subprocess.run(
                ["bash", "-c", self.workspace.remap(command.text)],
                cwd=self.workspace.path,
                env=self.workspace.environment(),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                timeout=COMMAND_TIMEOUT,
                start_new_session=True,  # a timeout kills the whole command, children included
            )
        except subprocess.TimeoutExpired as expired:
            raise AssertionError(
                f"{command.where}: `{command.text}` still running after {COMMAND_TIMEOUT}s"
            ) from expired

    def _run(self, command: Command) -> int:
        expected = [self.workspace.remap(line) for line in command.expected]
        retry = bool(expected) and any(s.proc.poll() is None for s in self.servers)
        deadline = time.monotonic() + RETRY_WINDOW
        attempts = 0
        while True:
            attempts += 1
            result = self._execute(command)
            missing = missing_expectations(expected, result.stdout)
            if result.returncode == command.exit_code and not missing:
                return attempts
            if not retry or time.monotonic() > deadline:
                break
            time.sleep(2)
        problem = (
            f"exit status {result.returncode}, the doc says {command.exit_code}"
            if result.returncode != command.exit_code
            else f"the doc's expected output is missing: {missing}"
        )
        raise AssertionError(
            f"{command.where}: `{command.text}`: {problem} (after {attempts} attempt(s))\n"
            f"--- output (last 3000 characters) ---\n{result.stdout[-3000:]}"
            f"{self._server_logs()}"
        )

    # -- servers -------------------------------------------------------------------------
    def _start_server(self, command: Command, kind: ServerKind) -> int:
        for running in self.servers:  # one of a kind: a doc that restarts it stops the old one
            if running.kind is kind:
                self._stop(running)
        log = Path(tempfile.mkstemp(prefix="doc-test-server-", suffix=".log")[1])
        proc = start_server(
            ["bash", "-c", self.workspace.remap(command.text)],
            log,
            cwd=self.workspace.path,
            env=self.workspace.environment(),
            stdin=subprocess.DEVNULL,
        )
        server = Server(command, kind, proc, log)
        self.servers.append(server)
        deadline = time.monotonic() + SERVER_START
        for port, path in kind.ready_paths:
            if port == 8000 and "--no-app" in command.text:
                continue  # `make demo` around an app the doc runs itself (make run, podman)
            url = f"http://127.0.0.1:{self.workspace.ports[port]}{path}"
            while not answers(url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        f"{command.where}: `{command.text}` did not serve {url} "
                        f"(exit {proc.poll()})\n{server.output()[-3000:]}"
                    )
                time.sleep(0.3)
        self._wait_for_output(server, command)
        return 1

    def _watch_server(self, command: Command) -> int:
        live = [server for server in self.servers if server.proc.poll() is None]
        if len(live) != 1:
            raise AssertionError(f"{command.where}: output of which server? running: {live}")
        self._wait_for_output(live[0], command)
        return 1

    def _wait_for_output(self, server: Server, command: Command) -> None:
        """The doc's lines for a server's terminal appear there within the retry window."""
        expected = [self.workspace.remap(line) for line in command.expected]
        deadline = time.monotonic() + RETRY_WINDOW
        while missing := missing_expectations(expected, server.output()):
            if server.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    f"{command.where}: the doc's expected output of `{server.command.text}` "
                    f"is missing: {missing}\n--- its output (last 3000 characters) ---\n"
                    f"{server.output()[-3000:]}"
                )
            time.sleep(1)

    def _stop(self, server: Server) -> None:
        if server in self.servers:
            self.servers.remove(server)
        try:
            # To the whole group, as systemd stops a unit: the shell and `make` in front of
            # the server hand nothing on.
            stop_server(server.proc, timeout=60, whole_group=True)
        finally:
            server.log.unlink(missing_ok=True)

    def stop_servers(self) -> None:
        for server in list(self.servers):
            self._stop(server)

    def _server_logs(self) -> str:
        return "".join(
            f"\n--- `{s.command.text}` (background) output, last 2000 characters ---\n"
            f"{s.output()[-2000:]}"
            for s in self.servers
        )

"""Docs that cannot rot: every command in the README and the labs runs, here, in CI.

Each document runs top to bottom in its own throw-away copy of the repository
(tests/docs/workspace.py), the way a student follows it: servers in the background, the
commands after them against those servers. Blocks that need what the CI machine does not have
(Docker, kind, GitHub, a browser) carry a `doc-test: skip needs=…` marker and are listed in
the session summary. The real checkout is never written to.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.docs import report
from tests.docs.markdown import SKIP_REASONS, blocks, commands, document_commands
from tests.docs.runner import ENV_ASSIGNMENTS, DocumentRun, server_kind
from tests.docs.workspace import Workspace
from tests.helpers import ROOT, require_tool

LABS = ROOT / "docs" / "labs"
EXECUTED_DOCS = [ROOT / "README.md", *sorted(LABS.glob("*.md"))]
# Commands that must never run from a doc test: the suite itself (recursion) and CI's heavy
# stages, which .ci/run runs on its own. A doc that shows one marks it `needs=ci-itself`.
RECURSIVE = (
    "make test ",
    "make check ",
    "make validate",
    "make pipeline",
    ".ci/run",
    "make e2e",
    "make ansible-test",
    "make bench",
    "make kind-up",
)


SHELL_WORDS = {
    "cd",
    "kill",
    "echo",
    "export",
    "test",
    "[",
    "for",
    "while",
    "if",
    "printf",
    "true",
    "false",
    "source",
    ".",
    "sleep",
    "mkdir",
    "rm",
    "cat",
    "grep",
    "sed",
}


def needed_tools(commands) -> set[str]:
    """The programs the commands call first (`amtool`, `kubectl`…), for require_tool."""
    tools = set()
    for command in commands:
        words = ENV_ASSIGNMENTS.sub("", command.text).split()
        if words and "/" not in words[0] and words[0] not in SHELL_WORDS:
            tools.add(words[0])
    return tools


def is_heavy(text: str) -> bool:
    """A whole-suite or heavy command; `PIPELINE_STAGES=… make pipeline` picks cheap stages."""
    if text.startswith("PIPELINE_STAGES="):
        return False
    return (ENV_ASSIGNMENTS.sub("", text) + " ").startswith(RECURSIVE)


def doc_id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def tree_fingerprint() -> dict[str, str]:
    """Hashes of what documented commands write to, in the real checkout."""
    watched = [*(ROOT / "models").rglob("*"), *(ROOT / "data").rglob("*"), ROOT / "app/health.py"]
    return {
        str(path.relative_to(ROOT)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(watched)
        if path.is_file()
    }


def test_the_labs_exist():
    assert (LABS / "README.md").is_file()
    assert len(EXECUTED_DOCS) >= 10, [doc_id(p) for p in EXECUTED_DOCS]


@pytest.mark.parametrize("path", EXECUTED_DOCS, ids=doc_id)
def test_markers_are_valid_and_sit_above_a_command_block(path):
    problems = []
    for block in blocks(path):
        for marker in block.markers:
            where = f"{doc_id(path)}:{marker.line}"
            problems += [f"{where}: {problem}" for problem in marker.problems]
            if not commands(block):
                problems.append(f"{where}: the marker is not above a bash/console block")
            elif marker.only and not any(c.text.startswith(marker.only) for c in commands(block)):
                problems.append(f"{where}: only={marker.only!r} matches no command")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", EXECUTED_DOCS, ids=doc_id)
def test_heavy_and_recursive_commands_are_marked(path):
    unmarked = [
        f"{c.where}: `{c.text}`" for c in document_commands(path) if not c.skip and is_heavy(c.text)
    ]
    assert not unmarked, (
        "these commands would run the test suite or a heavy CI stage from inside it; "
        "mark their block <!-- doc-test: skip needs=ci-itself -->:\n" + "\n".join(unmarked)
    )


@pytest.mark.parametrize("path", EXECUTED_DOCS, ids=doc_id)
def test_every_command_not_run_names_an_allowed_reason(path, record_property):
    not_run = [c for c in document_commands(path) if c.skip]
    record_property(report.PROPERTY, report.not_run(doc_id(path), not_run))  # the summary
    assert all(c.skip.needs in SKIP_REASONS for c in not_run)


def _has_runnable_commands(path) -> bool:
    return any(not c.skip for c in document_commands(path))


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize(
    "path", [p for p in EXECUTED_DOCS if _has_runnable_commands(p)], ids=doc_id
)
def test_documented_commands_run(path, record_property):
    all_commands = document_commands(path)
    runnable = [c for c in all_commands if not c.skip]
    for tool in sorted(needed_tools(runnable)):
        require_tool(tool)
    if any((k := server_kind(c.text)) and k.name == "make demo" for c in runnable):
        require_tool("prometheus")
        require_tool("prometheus-alertmanager")
    before = tree_fingerprint()
    workspace = Workspace(path.stem.lower())
    run = DocumentRun(workspace)
    try:
        run.run(all_commands)
    finally:
        seconds = [outcome.seconds for outcome in run.outcomes]
        record_property(report.PROPERTY, report.ran(doc_id(path), seconds))
        workspace.remove()
    assert tree_fingerprint() == before, "a documented command wrote into the real checkout"

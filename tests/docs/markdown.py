"""Read the shell commands, their expected output and the doc-test markers out of Markdown.

The convention the documentation follows (docs/labs/README.md explains it to writers):

* Fenced blocks tagged ``bash``, ``sh`` or ``shell`` hold commands, one per line (a trailing
  backslash or an open quote continues it). A comment after a command, or on the next line,
  that starts with ``{``, ``[`` or ``→`` is its expected output; ``…`` stands for anything.
* Fenced blocks tagged ``console`` show a session: ``$ command`` lines, and below each the
  lines of output you should see (an excerpt, in order; ``…`` stands for anything).
* ``# fails (exit N)`` after a command: the doc says it fails, with exactly that exit status.
* ``<!-- doc-test: skip needs=REASON -->`` on the lines before a block: the block cannot run
  on the CI machine; ``only="PREFIX"`` narrows the skip to the commands starting with PREFIX.
* ``<!-- doc-test: background-output -->`` before a ``text`` block: these lines appear, in
  order, in the terminal of the server the doc started earlier (``make demo``…).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

COMMAND_LANGUAGES = {"bash", "sh", "shell", "console"}
# Why a block may not run here. Anything else is a typo or an excuse, and fails a test.
SKIP_REASONS = {
    "docker": "needs a Docker engine (or a pulled registry image)",
    "kind": "needs a kind (Kubernetes) cluster",
    "github": "needs a GitHub repository, fork or Actions run",
    "browser": "needs a web browser",
    "cloud": "needs a real cluster, registry or cloud credentials",
    "ci-itself": "is the test suite or a heavy CI stage that .ci/run runs anyway (recursion)",
    "placeholder": "shows a template with values you fill in",
}
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>```+|~~~+)[ \t]*(?P<lang>[\w+-]*)")
MARKER = re.compile(r"<!--\s*doc-test:(?P<body>.*?)-->")
EXPECT_PREFIXES = ("{", "[", "→")
FAILS = re.compile(r"^fails \(exit (?P<code>\d+)\)")


@dataclass
class Marker:
    line: int
    skip: bool = False
    background_output: bool = False
    needs: str = ""
    only: str = ""
    problems: list[str] = field(default_factory=list)


@dataclass
class Block:
    path: Path
    line: int  # 1-based line of the opening fence
    lang: str
    lines: list[str]
    markers: list[Marker]


@dataclass
class Command:
    block: Block
    line: int
    text: str  # what bash runs (comments removed)
    expected: list[str] = field(default_factory=list)
    exit_code: int = 0
    skip: Marker | None = None
    background_output: bool = False  # expected lines of the running server's terminal

    @property
    def where(self) -> str:
        return f"{self.block.path.name}:{self.line}"


def parse_marker(body: str, line: int) -> Marker:
    marker = Marker(line=line)
    try:
        words = shlex.split(body)
    except ValueError as error:
        marker.problems.append(f"unreadable marker ({error})")
        return marker
    for word in words:
        key, _, value = word.partition("=")
        if word == "skip":
            marker.skip = True
        elif word == "background-output":
            marker.background_output = True
        elif key == "needs":
            marker.needs = value
        elif key == "only":
            marker.only = value
        else:
            marker.problems.append(f"unknown word {word!r}")
    if marker.skip == marker.background_output:
        marker.problems.append("a marker says either `skip` or `background-output`")
    elif marker.skip and marker.needs not in SKIP_REASONS:
        marker.problems.append(f"needs={marker.needs!r} is not one of {sorted(SKIP_REASONS)}")
    return marker


def blocks(path: Path) -> list[Block]:
    """Every fenced block of `path`, with the doc-test markers written just above it."""
    found: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    pending: list[Marker] = []
    while index < len(lines):
        line = lines[index]
        opening = FENCE.match(line)
        if not opening:
            for match in MARKER.finditer(line):
                pending.append(parse_marker(match["body"], index + 1))
            if line.strip() and not MARKER.search(line):
                pending = []  # a marker belongs to the block right below it
            index += 1
            continue
        indent, fence = len(opening["indent"]), opening["fence"]
        body: list[str] = []
        index += 1
        while index < len(lines) and not lines[index].strip().startswith(fence):
            body.append(lines[index][indent:] if lines[index][:indent].isspace() else lines[index])
            index += 1
        found.append(Block(path, index - len(body), opening["lang"].lower(), body, pending))
        pending = []
        index += 1
    return found


def scan(text: str) -> tuple[bool, str, list[str]]:
    """Split shell text into code and comments: (complete?, code, comments).

    Quote-aware, like bash: `#` starts a comment only at the start of a word and outside
    quotes. `complete` is False while a quote is open or the text ends with a backslash.
    """
    code: list[str] = []
    comments: list[str] = []
    quote = ""
    index = 0
    while index < len(text):
        char = text[index]
        if quote:
            code.append(char)
            if char == "\\" and quote == '"' and index + 1 < len(text):
                code.append(text[index + 1])
                index += 1
            elif char == quote:
                quote = ""
        elif char == "\\" and index + 1 < len(text):
            code.append(char + text[index + 1])
            index += 1
        elif char in "'\"":
            quote = char
            code.append(char)
        elif char == "#" and (not code or code[-1][-1:].isspace()):
            end = text.find("\n", index)
            end = len(text) if end == -1 else end
            comments.append(text[index + 1 : end].strip())
            index = end
            continue
        else:
            code.append(char)
        index += 1
    joined = "".join(code)
    complete = not quote and not joined.rstrip(" \t").endswith("\\")
    return complete, joined.strip(), comments


def _apply_comments(command: Command, comments: list[str]) -> None:
    for comment in comments:
        if comment.startswith(EXPECT_PREFIXES):
            command.expected.append(comment.removeprefix("→").strip())
        elif failed := FAILS.match(comment):
            command.exit_code = int(failed["code"])


def commands(block: Block) -> list[Command]:
    """The commands of a bash/sh/console block, with expectations and skip markers."""
    if any(marker.background_output for marker in block.markers):
        expected = [line.strip() for line in block.lines if line.strip()]
        return [Command(block, block.line, "", expected, background_output=True)]
    if block.lang not in COMMAND_LANGUAGES:
        return []
    console = block.lang == "console"
    found: list[Command] = []
    buffer: list[str] = []
    start = 0
    for offset, raw in enumerate(block.lines):
        number = block.line + 1 + offset
        if not buffer:
            if console and not raw.startswith("$ "):
                if found and raw.strip():
                    found[-1].expected.append(raw.strip())
                continue
            stripped = raw.removeprefix("$ ") if console else raw
            if not stripped.strip():
                continue
            if stripped.lstrip().startswith("#"):
                if found:  # a comment line under a command: its expected output, maybe
                    _apply_comments(found[-1], [stripped.lstrip()[1:].strip()])
                continue
            buffer, start = [stripped], number
        else:
            buffer.append(raw)
        complete, code, comments = scan("\n".join(buffer))
        if complete:
            command = Command(block, start, code)
            _apply_comments(command, comments)
            command.skip = next(
                (m for m in block.markers if not m.only or code.startswith(m.only)), None
            )
            found.append(command)
            buffer = []
    if buffer:
        raise ValueError(f"{block.path}:{start}: unterminated command: {' '.join(buffer)}")
    return found


def document_commands(path: Path) -> list[Command]:
    return [command for block in blocks(path) for command in commands(block)]


def expectation_pattern(expected: str) -> re.Pattern:
    """`…` matches anything; spacing is free: a run of spaces matches any run (aligned
    columns), and after `:` or `,` spaces may or may not follow (compact or spaced JSON)."""
    parts = [re.escape(" ".join(piece.split())) for piece in expected.split("…")]
    pattern = ".*?".join(parts).replace(r"\ ", r"\s+")
    return re.compile(re.sub(r"([:,])(?!\\s\+)", r"\1\\s*", pattern))


def missing_expectations(expected: list[str], output: str) -> list[str]:
    """The expected lines not found in `output`, each searched line by line, in order."""
    lines = output.splitlines()
    position = 0
    missing = []
    for wanted in expected:
        pattern = expectation_pattern(wanted)
        for index in range(position, len(lines)):
            if pattern.search(lines[index]):
                position = index + 1
                break
        else:
            missing.append(wanted)
    return missing

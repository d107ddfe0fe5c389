"""Every Mermaid diagram in the docs parses — with Mermaid's own parser, run by Node.

GitHub draws ```mermaid blocks with the same library; a diagram it cannot parse shows as an
error box. `tests/docs/mermaid/parse.mjs` runs Mermaid under jsdom (no browser needed); a
structural check (known diagram type, balanced brackets) runs even without Node.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.docs.markdown import blocks
from tests.docs.test_doc_links import markdown_files
from tests.helpers import ROOT, missing, require_tool

PARSER_DIR = ROOT / "tests" / "docs" / "mermaid"
DIAGRAM_TYPES = {
    "flowchart", "graph", "sequenceDiagram", "classDiagram", "stateDiagram", "stateDiagram-v2",
    "erDiagram", "journey", "gantt", "pie", "gitGraph", "mindmap", "timeline", "quadrantChart",
}  # fmt: skip
PAIRS = {"(": ")", "[": "]", "{": "}"}


def diagrams() -> list[tuple[str, str]]:
    return [
        (f"{path.relative_to(ROOT)}:{block.line}", "\n".join(block.lines))
        for path in markdown_files()
        for block in blocks(path)
        if block.lang == "mermaid"
    ]


def structure_problems(source: str) -> list[str]:
    lines = [line.strip() for line in source.splitlines()]
    lines = [line for line in lines if line and not line.startswith("%%")]
    problems = []
    if not lines or lines[0].split()[0] not in DIAGRAM_TYPES:
        problems.append(f"does not start with a diagram type: {lines[:1]}")
    for number, line in enumerate(lines, start=1):
        stack: list[str] = []
        quoted = False
        for char in line:
            if char == '"':
                quoted = not quoted
            elif quoted:
                continue
            elif char in PAIRS:
                stack.append(PAIRS[char])
            elif char in PAIRS.values() and (not stack or stack.pop() != char):
                problems.append(f"line {number}: unbalanced {char!r}: {line}")
                break
        if stack or quoted:
            problems.append(f"line {number}: unclosed bracket or quote: {line}")
    return problems


def test_the_three_pictures_exist():
    found = [where for where, _ in diagrams() if where.startswith("docs/diagrams.md")]
    assert len(found) >= 3, f"docs/diagrams.md should hold pipeline, lifecycle, monitoring: {found}"


@pytest.mark.parametrize(("where", "source"), diagrams(), ids=[w for w, _ in diagrams()])
def test_diagram_structure(where, source):
    assert not structure_problems(source), structure_problems(source)


def test_structure_check_catches_a_broken_diagram():
    assert structure_problems('flowchart LR\n    a["x"] --> b[y')
    assert structure_problems("flowchrt LR\n    a --> b")
    assert not structure_problems('flowchart LR\n    a["x (y)"] -->|"z"| b{w}')


def mermaid_parse(sources: list[str]) -> list[dict]:
    node = require_tool("node")
    if not (PARSER_DIR / "node_modules" / "mermaid").is_dir():
        missing("Mermaid's parser is not installed: run `make docs-tools`")
    result = subprocess.run(
        [node, str(PARSER_DIR / "parse.mjs")],
        input=json.dumps(sources),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout)


def test_every_diagram_parses_with_mermaid():
    found = diagrams()
    results = mermaid_parse([source for _, source in found])
    failures = [
        f"{where}: {r['error']}"
        for (where, _), r in zip(found, results, strict=True)
        if not r["ok"]
    ]
    assert not failures, "\n".join(failures)
    assert len(results) == len(found) >= 3


def test_mermaid_parser_rejects_a_broken_diagram():
    broken, fine = mermaid_parse(['flowchart LR\n    a["x" --> b', "flowchart LR\n    a --> b"])
    assert not broken["ok"] and "Parse error" in broken["error"]
    assert fine["ok"]

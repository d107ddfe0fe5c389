"""Every link to a file of the repository resolves, and every `make X` the docs name exists.

Covers every Markdown file git knows (README, CONTRIBUTING, docs/, runbooks, monitoring/…).
A link is `[text](target)` or `[text]: target`; code blocks and inline code are not links.
A relative target must exist; its `#anchor`, when it points at a Markdown file, must be one
of that file's headings (GitHub's slugs). Links to the web are not fetched (no internet in
CI) — except GitHub issue-form links of this repository, whose prefilled fields must exist.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import urllib.parse
from functools import cache
from pathlib import Path

import pytest
import yaml

from tests.docs.markdown import FENCE
from tests.helpers import ROOT

INLINE_LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s*\[[^\]]+\]:\s+<?(\S+?)>?(?:\s|$)")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
ISSUE_FORM_LINK = re.compile(r"https://github\.com/[^\s)>]+/issues/new\?[^\s)>]+")
# `make …` where a command starts: line start, after ; && || | ( or a `$ ` prompt, after
# VAR=value assignments — not "apt-get install make".
MAKE_CALL = re.compile(
    r"(?:^|[;&|(]\s*|\$\s+)(?:[A-Za-z_][A-Za-z0-9_]*=(?:\"[^\"]*\"|'[^']*'|\S*)\s+)*"
    r"make\s+([^`\n#;&|)]*)"
)


def markdown_files() -> list[Path]:
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.md"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [ROOT / name for name in sorted(listing) if (ROOT / name).is_file()]


def prose_and_code(path: Path) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(line, text) of prose with inline code removed, and (line, code) of every code span/block."""
    prose, code = [], []
    fence = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        opening = FENCE.match(line)
        if fence:
            if line.strip().startswith(fence):
                fence = None
            else:
                code.append((number, line))
            continue
        if opening:
            fence = opening["fence"]
            continue
        code += [(number, match[2]) for match in INLINE_CODE.finditer(line)]
        prose.append((number, INLINE_CODE.sub("", line)))
    return prose, code


def github_slug(heading: str) -> str:
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


@cache
def anchors(path: Path) -> set[str]:
    prose, _ = prose_and_code(path)
    found = set()
    for _, line in prose:
        if heading := re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line):
            slug = unique = github_slug(heading[1])
            suffix = 0
            while unique in found:  # GitHub numbers repeated headings: x, x-1, x-2
                suffix += 1
                unique = f"{slug}-{suffix}"
            found.add(unique)
    return found


def links(path: Path) -> list[tuple[int, str]]:
    prose, _ = prose_and_code(path)
    found = []
    for number, line in prose:
        found += [(number, m[1]) for m in INLINE_LINK.finditer(line)]
        if reference := REFERENCE_LINK.match(line):
            found.append((number, reference[1]))
    return found


def broken_links(path: Path, root: Path = ROOT) -> list[str]:
    problems = []
    for number, target in links(path):
        if EXTERNAL.match(target):
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / urllib.parse.unquote(file_part)).resolve() if file_part else path
        where = f"{path.relative_to(root)}:{number}: {target}"
        if not resolved.is_relative_to(root):
            problems.append(f"{where}: points outside the repository")
        elif not resolved.exists():
            problems.append(f"{where}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor.lower() not in anchors(resolved):
            problems.append(f"{where}: no heading #{anchor} in {resolved.relative_to(root)}")
    return problems


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_repository_links_resolve(path):
    assert not broken_links(path), "\n".join(broken_links(path))


def test_the_link_check_finds_links_and_catches_broken_ones(tmp_path):
    assert "docs/ml.md" in [target for _, target in links(ROOT / "README.md")]
    assert github_slug("Feedback: drift → retraining") == "feedback-drift--retraining"
    assert "the-lifecycle-map" in anchors(ROOT / "README.md")
    (tmp_path / "other.md").write_text("# Other\n\n## Part one\n\n## Part one\n")
    probe = tmp_path / "probe.md"
    probe.write_text(
        "[ok](other.md#part-one-1) [web](https://example.org) `[code](in-code.md)`\n"
        "[gone](nope.md) [anchor](other.md#part-two) [out](../../etc/passwd)\n"
        "[ref]: other.md#other\n```\n[block](in-block.md)\n```\n"
    )
    problems = broken_links(probe, root=tmp_path)
    assert [p.split(": ")[-1] for p in problems] == [
        "no such file",
        "no heading #part-two in other.md",
        "points outside the repository",
    ], problems


@cache
def make_targets() -> set[str]:
    rule = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]*)\s*:(?!=)", re.MULTILINE)
    files = [ROOT / "Makefile", *sorted((ROOT / "mk").glob("*.mk"))]
    return {m[1] for file in files for m in rule.finditer(file.read_text())}


def make_calls(path: Path) -> list[tuple[int, str]]:
    _, code = prose_and_code(path)
    calls = []
    for number, text in code:
        for match in MAKE_CALL.finditer(text.strip()):
            try:
                words = shlex.split(match[1])
            except ValueError:  # an open quote: the command goes on in the next line
                words = match[1].split()
            for word in words:
                if word.startswith("-") or "=" in word:
                    continue
                if not re.fullmatch(r"[a-z][a-z0-9_-]*", word):
                    break
                calls.append((number, word))
    return calls


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_make_target_named_in_the_docs_exists(path):
    unknown = [
        f"{path.relative_to(ROOT)}:{number}: make {target}"
        for number, target in make_calls(path)
        if target not in make_targets()
    ]
    assert not unknown, "no such make target:\n" + "\n".join(unknown)


def test_issue_form_links_prefill_fields_that_exist():
    checked = 0
    for path in markdown_files():
        for match in ISSUE_FORM_LINK.finditer(path.read_text(encoding="utf-8")):
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(match[0]).query)
            template = query.pop("template")[0]
            form_file = ROOT / ".github" / "ISSUE_TEMPLATE" / template
            assert form_file.is_file(), f"{path.name}: no issue form {template}"
            form = yaml.safe_load(form_file.read_text())
            ids = {field.get("id") for field in form["body"]} | {"title", "labels", "assignees"}
            assert set(query) <= ids, f"{path.name}: {sorted(set(query) - ids)} not in {template}"
            checked += 1
    assert checked >= 1

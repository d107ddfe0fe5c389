"""Check commit subjects against Conventional Commits (https://www.conventionalcommits.org).

`type(scope)!: description` — the type says what kind of change it is, and release notes and
version bumps can be read off the history. CI runs it on the commits a pull request adds:

    python3 scripts/conventional_commits.py --range origin/main..HEAD
    python3 scripts/conventional_commits.py "feat(api): add /version"   # check given subjects
    python3 scripts/conventional_commits.py --message-file .git/COMMIT_EDITMSG  # commit-msg hook

Exit 0 when every subject conforms, 1 otherwise (each bad subject is printed with the reason).
Merge commits are skipped: they are made by git, not written by a person.
"""

import argparse
import re
import subprocess
import sys

TYPES = (
    "feat",
    "fix",
    "docs",
    "style",
    "refactor",
    "perf",
    "test",
    "build",
    "ci",
    "chore",
    "revert",
)
MAX_SUBJECT = 100

SUBJECT = re.compile(
    r"^(?P<type>[a-z]+)"
    r"(?:\((?P<scope>[a-z0-9][a-z0-9._/-]*)\))?"
    r"(?P<breaking>!)?"
    r": (?P<description>\S.*)$"
)
# `git revert` writes this subject; it is conventional enough to keep.
GIT_REVERT = re.compile(r'^Revert ".+"$')


def problem(subject: str) -> str | None:
    """Why `subject` is not a conventional commit subject, or None when it is."""
    if len(subject) > MAX_SUBJECT:
        return f"longer than {MAX_SUBJECT} characters"
    if GIT_REVERT.match(subject):
        return None
    match = SUBJECT.match(subject)
    if not match:
        return "expected 'type(scope): description', e.g. 'fix(api): reject empty features'"
    if match["type"] not in TYPES:
        return f"unknown type '{match['type']}' (one of: {', '.join(TYPES)})"
    if match["description"].endswith("."):
        return "the description should not end with a period"
    return None


def subjects_in_range(revision_range: str) -> list[str]:
    output = subprocess.run(
        ["git", "log", "--no-merges", "--format=%s", revision_range],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [line for line in output.splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--range", dest="revision_range", help="git range, e.g. origin/main..HEAD")
    parser.add_argument("--message-file", help="a commit message file (its first line is checked)")
    parser.add_argument("subjects", nargs="*", help="subjects to check instead of a git range")
    args = parser.parse_args(argv)
    if args.revision_range:
        subjects = subjects_in_range(args.revision_range)
    elif args.message_file:
        with open(args.message_file, encoding="utf-8") as message:
            subjects = message.read().splitlines()[:1]
    else:
        subjects = args.subjects
    if not subjects:
        print("no commit subjects to check")
        return 0
    failures = [(subject, reason) for subject in subjects if (reason := problem(subject))]
    for subject, reason in failures:
        print(f"✗ {subject!r}: {reason}")
    print(f"{len(subjects) - len(failures)}/{len(subjects)} commit subjects are conventional")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

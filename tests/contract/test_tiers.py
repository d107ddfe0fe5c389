"""Every test module runs in exactly one tier: `make test` (the fast loop) or `make check`.

make itself says what each tier runs: `make -n TARGET` prints the commands of a target, and
of every sub-make it calls, without running them. Each `pytest` command among them names the
test paths it runs (a bare `pytest` runs pyproject's testpaths). A module that no tier runs is
never checked; one that two targets run costs its time twice.
"""

import os
import re
import shlex
import subprocess
import tomllib
from collections import Counter
from pathlib import Path

from tests.helpers import ROOT

TESTS = ROOT / "tests"
# The fast tier needs only Python; uv is what made .venv in the first place.
FAST_TIER_TOOLS = {"uv"}


def all_test_modules() -> set[Path]:
    return {
        path.relative_to(ROOT)
        for path in TESTS.rglob("test_*.py")
        if "node_modules" not in path.parts
    }


def pyproject_testpaths() -> list[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return pyproject["tool"]["pytest"]["ini_options"]["testpaths"]


def modules_under(paths: list[str]) -> set[Path]:
    found = set()
    for name in paths:
        path = Path(name.split("::")[0])
        if path.suffix == ".py":
            found.add(path)
        else:
            found |= {module for module in all_test_modules() if path in module.parents}
    return found


def pytest_runs(target: str) -> list[set[Path]]:
    """The modules of each pytest command `make TARGET` would run, one set per command."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    dry_run = subprocess.run(
        ["make", "-n", target],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert dry_run.returncode == 0, dry_run.stderr
    runs = []
    for line in dry_run.stdout.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True) if "pytest" in line else []
        if "pytest" not in words:
            continue
        arguments = []
        for word in words[words.index("pytest") + 1 :]:
            if word in {"||", "&&", "|", ";"}:
                break  # the next shell command on the line
            arguments.append(word)
        paths = [word for word in arguments if word.startswith("tests/")]
        ignored = [word.split("=", 1)[1] for word in arguments if word.startswith("--ignore=")]
        runs.append(modules_under(paths or pyproject_testpaths()) - modules_under(ignored))
    return runs


def test_the_dry_run_sees_the_pytest_commands():
    assert pytest_runs("test-unit") == [modules_under(["tests/unit"])]
    assert len(pytest_runs("validate")) >= 6


def test_a_bare_pytest_is_make_test():
    assert pytest_runs("test") == [modules_under(pyproject_testpaths())]


def test_every_module_runs_in_exactly_one_tier_and_once():
    fast = set().union(*pytest_runs("test"))
    full = Counter(module for run in pytest_runs("check") for module in run)
    nowhere = sorted(map(str, all_test_modules() - fast - set(full)))
    both = sorted(map(str, fast & set(full)))
    twice = sorted(str(module) for module, times in full.items() if times > 1)
    assert not nowhere, f"no tier runs {nowhere}: Python only? tests/contract; else mk/*.mk"
    assert not both, f"`make check` runs again what `make test` ran: {both}"
    assert not twice, f"two `make check` targets run {twice}: keep it in the one that owns it"


def test_the_fast_tier_asks_for_no_tool_but_python():
    for module in set().union(*pytest_runs("test")):
        asked = set(re.findall(r"require_tool\(\s*f?[\"']([^\"'({]+)", (ROOT / module).read_text()))
        assert asked <= FAST_TIER_TOOLS, (
            f"{module} needs {sorted(asked - FAST_TIER_TOOLS)}: a test that needs a tool "
            "belongs in the full tier (tests/infra, tests/integration), not in `make test`"
        )

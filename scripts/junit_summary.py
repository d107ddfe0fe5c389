"""Turn pytest's JUnit XML reports into a Markdown table (GitHub's job summary).

    python3 scripts/junit_summary.py reports/junit-3.11.xml reports/junit-3.12.xml

Prints one row per report (tests, passed, failed, errors, skipped, seconds) and lists the
failing test cases, so a red run says what broke without opening the log.
"""

import sys
import xml.etree.ElementTree as ET  # parses our own pytest output, never outside XML
from pathlib import Path


def suite_counts(path: Path) -> dict:
    root = ET.parse(path).getroot()  # noqa: S314 - our own report, see the import  # nosec B314
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "time": 0.0, "failed": []}
    for suite in suites:
        for key in ("tests", "failures", "errors", "skipped"):
            counts[key] += int(suite.get(key, 0))
        counts["time"] += float(suite.get("time", 0))
        for case in suite.iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                counts["failed"].append(f"{case.get('classname')}::{case.get('name')}")
    return counts


def markdown(paths: list[Path]) -> str:
    lines = [
        "### Test results",
        "",
        "| report | tests | passed | failed | errors | skipped | seconds |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    failed_cases = []
    for path in paths:
        c = suite_counts(path)
        passed = c["tests"] - c["failures"] - c["errors"] - c["skipped"]
        lines.append(
            f"| {path.name} | {c['tests']} | {passed} | {c['failures']} | {c['errors']} "
            f"| {c['skipped']} | {c['time']:.1f} |"
        )
        failed_cases += c["failed"]
    if failed_cases:
        lines += ["", "**Failing tests**", ""] + [f"- `{name}`" for name in failed_cases]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    paths = [Path(arg) for arg in argv if Path(arg).is_file()]
    if not paths:
        print("### Test results\n\nNo JUnit report was written (the tests did not run).")
        return 0
    print(markdown(paths), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

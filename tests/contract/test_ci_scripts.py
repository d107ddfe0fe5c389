"""The small programs behind the CI targets: pipeline runner, commit check, summaries, deploy.

Python only (plus git and make): the deploy script's real kustomize render is in
tests/infra/test_deploy_overlay.py.
"""

import os
import subprocess
import sys

import pytest

from scripts import conventional_commits, junit_summary
from tests.helpers import ROOT

# --- conventional commits ------------------------------------------------------------------


@pytest.mark.parametrize(
    "subject",
    [
        "feat(api): add /version",
        "fix: reject empty features",
        "ci(jenkins)!: drop the Java 17 image",
        "build(deps): bump flask to 3.1",
        'Revert "feat(api): add /version"',
    ],
)
def test_conventional_subjects_pass(subject):
    assert conventional_commits.problem(subject) is None


@pytest.mark.parametrize(
    ("subject", "reason"),
    [
        ("Added a feature", "expected 'type(scope): description'"),
        ("feature(api): add", "unknown type 'feature'"),
        ("feat(api):add", "expected"),
        ("feat(API): add", "expected"),
        ("fix: trailing period.", "period"),
        ("feat: " + "x" * 100, "longer than"),
    ],
)
def test_unconventional_subjects_fail_with_a_reason(subject, reason):
    assert reason in conventional_commits.problem(subject)


def test_commit_check_reads_a_git_range_and_exits_nonzero_on_a_bad_subject(tmp_path, capsys):
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-C", str(tmp_path)]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    for message in ("chore: start", "feat(api): add predict", "wip stuff"):
        subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", message], check=True)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert conventional_commits.main(["--range", "HEAD~2..HEAD"]) == 1
        out = capsys.readouterr().out
        assert "'wip stuff'" in out and "1/2 commit subjects are conventional" in out
        assert conventional_commits.main(["--range", "HEAD~2..HEAD~1"]) == 0
    finally:
        os.chdir(cwd)


def test_commit_msg_hook_checks_the_first_line_of_the_message_file(tmp_path):
    message = tmp_path / "COMMIT_EDITMSG"
    message.write_text("fix(api): answer 415 for non-JSON\n\nA longer body. Free text.\n")
    assert conventional_commits.main(["--message-file", str(message)]) == 0
    message.write_text("fixed stuff\n")
    assert conventional_commits.main(["--message-file", str(message)]) == 1


# --- make pipeline -------------------------------------------------------------------------


def run_pipeline(stages: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "scripts/pipeline.py"],
        cwd=ROOT,
        env={**os.environ, "PIPELINE_STAGES": stages},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_pipeline_runs_stages_in_order_with_elapsed_seconds():
    result = run_pipeline("help print-image")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("==> ")]
    assert lines[0] == "==> [1/2] help ..."
    assert lines[1].startswith("==> [1/2] help ok in ") and lines[1].endswith("s")
    assert lines[2] == "==> [2/2] print-image ..."
    assert lines[-1].startswith("==> pipeline passed: 2 stages in ")


def test_pipeline_stops_at_the_first_failing_stage_and_names_it():
    result = run_pipeline("help false-stage print-image")
    assert result.returncode != 0
    assert "pipeline stopped at stage 'false-stage'" in result.stdout
    assert "[2/3] false-stage FAILED after" in result.stdout
    assert "[3/3]" not in result.stdout  # nothing after the failure runs


# --- junit summary ---------------------------------------------------------------------------


def test_junit_summary_counts_and_names_failures(tmp_path):
    report = tmp_path / "junit-3.11.xml"
    report.write_text(
        "<testsuites>"
        '<testsuite name="pytest" tests="4" failures="1" errors="0" skipped="1" time="2.5">'
        '<testcase classname="tests.unit.test_a" name="test_ok"/>'
        '<testcase classname="tests.unit.test_a" name="test_ok2"/>'
        '<testcase classname="tests.unit.test_a" name="test_skip"><skipped/></testcase>'
        '<testcase classname="tests.unit.test_a" name="test_bad"><failure message="x"/></testcase>'
        "</testsuite></testsuites>"
    )
    text = junit_summary.markdown([report])
    assert "| junit-3.11.xml | 4 | 2 | 1 | 0 | 1 | 2.5 |" in text
    assert "`tests.unit.test_a::test_bad`" in text


# --- deploy: refusals before any kubectl call --------------------------------------------


def test_deploy_refuses_an_unknown_environment_and_a_bad_reference():
    for args in (
        ["--env", "nowhere", "--image", "x:1"],
        ["--env", "staging", "--image", "not a ref"],
    ):
        result = subprocess.run(
            [sys.executable, "scripts/deploy_overlay.py", *args, "--render", "--base-image", "x"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert result.returncode != 0

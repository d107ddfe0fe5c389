"""Deploy only what passed: no job that publishes, signs, releases or deploys can start unless
every test job succeeded for the same commit — in GitHub Actions and in Jenkins.

GitHub Actions: the delivery jobs live in ci.yml beside the tests, so "the same commit" is
"the same run". A job starts only when every job it `needs` (transitively) succeeded, unless
its `if` calls always(), failure() or cancelled(); a skipped or failed need skips it. So the
rules read off the YAML are: every delivery job needs every test job, through jobs whose `if`
uses no status function, and no test job can pass while failing (continue-on-error).
Jenkins: stages run in order and the first failure stops the build, so every delivery stage
must come after every test stage, with nothing that lets a failed test stage carry on.
"""

import re

import pytest

from tests.contract.ci_files import (
    CI_MACHINE_ONLY_PARTS,
    JENKINSFILE,
    PIPELINE_ONLY_TESTS,
    check_parts,
    load_workflow,
    shell_targets,
    targets_in_command,
    workflow_names,
)

# Make targets that change what runs somewhere: a job or stage calling one is a delivery job.
DELIVERY_TARGETS = {"publish", "sign", "promote-image", "deploy"}
# What "the whole CI" runs: the jobs (stages) a delivery job waits for must run all of these:
# the fast tier, every part of `make check` (mk/core.mk) but those only the CI machine runs,
# and the tests only pipelines can run.
TEST_TARGETS = {"test", *check_parts(), *PIPELINE_ONLY_TESTS} - set(CI_MACHINE_ONLY_PARTS)
STATUS_FUNCTION = re.compile(r"\b(always|failure|cancelled)\s*\(")
LOCAL_WORKFLOW = re.compile(r"^\./\.github/workflows/([\w.-]+\.ya?ml)$")


def job_targets(job: dict) -> set[str]:
    return {
        target
        for step in job.get("steps", [])
        if "run" in step
        for target in targets_in_command(step["run"])
    }


def called_workflow(job: dict) -> str | None:
    match = LOCAL_WORKFLOW.match(job.get("uses", ""))
    return match.group(1) if match else None


def is_delivery(job: dict) -> bool:
    writes = {k for k, v in job.get("permissions", {}).items() if v == "write"}
    called = called_workflow(job)
    return bool(
        job_targets(job) & DELIVERY_TARGETS
        or writes & {"packages", "id-token"}
        or "environment" in job
        or (called and delivery_jobs(called))
    )


def delivery_jobs(workflow: str) -> set[str]:
    return {name for name, job in load_workflow(workflow)["jobs"].items() if is_delivery(job)}


def needs_of(job: dict) -> list[str]:
    needs = job.get("needs", [])
    return [needs] if isinstance(needs, str) else list(needs)


def ancestors(jobs: dict, name: str) -> set[str]:
    seen: set[str] = set()
    stack = needs_of(jobs[name])
    while stack:
        need = stack.pop()
        if need not in seen:
            seen.add(need)
            stack.extend(needs_of(jobs[need]))
    return seen


def gated_test_jobs(jobs: dict) -> set[str]:
    """Every job that is not delivery, except those that never run on a push (pull-request
    checks) and those that only report a failure."""
    return {
        name
        for name, job in jobs.items()
        if not is_delivery(job)
        and "pull_request'" not in str(job.get("if", ""))
        and not STATUS_FUNCTION.search(str(job.get("if", "")))
    }


def gating_problems(workflow: str, data: dict | None = None) -> list[str]:
    """Why a delivery job of this workflow could start without the tests having passed."""
    data = data or load_workflow(workflow)
    jobs = data["jobs"]
    problems = []
    if "workflow_run" in data["on"]:
        problems.append(f"{workflow}: workflow_run: gate delivery by `needs` in ci.yml instead")
    delivery = {name for name, job in jobs.items() if is_delivery(job)}
    if not delivery:
        return problems
    if set(data["on"]) == {"workflow_call"}:
        return problems  # gated where it is called: every caller is itself a delivery job
    tests = gated_test_jobs(jobs)
    for name in sorted(delivery):
        before = ancestors(jobs, name)
        ran_before = set().union(*(job_targets(jobs[need]) for need in before))
        if missing := sorted(tests - before):
            problems.append(f"{workflow}:{name} does not need the test jobs {missing}")
        if missing := sorted(TEST_TARGETS - ran_before):
            problems.append(f"{workflow}:{name} starts before anything runs make {missing}")
        for link in sorted({name} | (before & delivery)):
            if STATUS_FUNCTION.search(str(jobs[link].get("if", ""))):
                problems.append(
                    f"{workflow}:{name} can start after a failure: {link}.if = {jobs[link]['if']!r}"
                )
        for step in jobs[name].get("steps", []):
            if step.get("uses", "").startswith("actions/checkout@") and "ref" in step.get(
                "with", {}
            ):
                problems.append(f"{workflow}:{name} checks out another ref than the tested one")
    for name in sorted(tests):
        job = jobs[name]
        if job.get("continue-on-error") or any(
            step.get("continue-on-error") for step in job.get("steps", [])
        ):
            problems.append(f"{workflow}:{name} can pass while failing (continue-on-error)")
    return problems


@pytest.mark.parametrize("workflow", workflow_names())
def test_no_delivery_job_starts_without_every_test_job_of_the_same_run(workflow):
    problems = gating_problems(workflow)
    assert not problems, "\n".join(problems)


def test_delivery_exists_and_is_recognised():
    # The rules above hold vacuously if nothing is recognised as delivery: pin what is.
    assert delivery_jobs("ci.yml") == {
        "publish",
        "deploy-staging",
        "release",
        "deploy-production",
    }
    assert delivery_jobs("deploy.yml") == {"deploy"}
    assert {"lint", "test", "validate", "image", "e2e-kind"} <= gated_test_jobs(
        load_workflow("ci.yml")["jobs"]
    )


def test_a_reusable_delivery_workflow_runs_only_when_called_by_a_gated_job():
    for workflow in workflow_names():
        data = load_workflow(workflow)
        if not delivery_jobs(workflow) or workflow == "ci.yml":
            continue
        assert set(data["on"]) == {"workflow_call"}, f"{workflow} must run only when called"
        callers = [
            f"{name}:{caller}"
            for name in workflow_names()
            for caller, job in load_workflow(name)["jobs"].items()
            if called_workflow(job) == workflow
        ]
        assert callers, f"nobody calls {workflow}"
        assert all(caller.startswith("ci.yml:") for caller in callers), callers


def test_the_gate_catches_a_job_that_skips_the_tests():
    data = load_workflow("ci.yml")
    data["jobs"]["publish"]["needs"] = ["lint", "test"]
    assert any("publish does not need" in p for p in gating_problems("ci.yml", data))


def test_the_gate_catches_a_deploy_that_runs_after_a_failure():
    data = load_workflow("ci.yml")
    data["jobs"]["deploy-staging"]["if"] = "always()"
    assert any("can start after a failure" in p for p in gating_problems("ci.yml", data))


def test_the_gate_catches_a_test_job_that_cannot_fail():
    data = load_workflow("ci.yml")
    data["jobs"]["image"]["continue-on-error"] = True
    assert any("image can pass while failing" in p for p in gating_problems("ci.yml", data))


def test_deploys_verify_the_signature_before_they_deploy():
    steps = load_workflow("deploy.yml")["jobs"]["deploy"]["steps"]
    order = [t for step in steps if "run" in step for t in targets_in_command(step["run"])]
    assert order.index("verify") < order.index("deploy"), order


# --- Jenkins: the same rule, read off the stage order ---------------------------------------


def jenkins_stages_with_targets() -> list[tuple[str, set[str]]]:
    text = JENKINSFILE.read_text()
    parts = re.split(r"\n\s*stage\('([^']+)'\)", text)
    stages = []
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        stages.append((name, shell_targets(body)))
    return stages


def jenkins_gating_problems(text: str) -> list[str]:
    problems = []
    for forbidden in ("parallel", "catchError", "warnError", "unstable(", "failFast"):
        if forbidden in text:
            problems.append(f"Jenkinsfile uses {forbidden}: a failed test stage could carry on")
    for call in re.findall(r"sh\s*\((.*?)\)", text, flags=re.DOTALL):
        if "returnStatus" in call and targets_in_command(call.replace("script: ", "")):
            problems.append(f"Jenkinsfile ignores the status of a make call: {call!r}")
    return problems


def test_jenkins_runs_delivery_only_after_every_test_stage():
    stages = jenkins_stages_with_targets()
    delivery = [i for i, (_, targets) in enumerate(stages) if targets & DELIVERY_TARGETS]
    tests = [i for i, (_, targets) in enumerate(stages) if targets & TEST_TARGETS]
    assert delivery and tests
    assert max(tests) < min(delivery), [stages[i][0] for i in (max(tests), min(delivery))]
    tested = set().union(*(stages[i][1] for i in tests))
    assert tested >= TEST_TARGETS, TEST_TARGETS - tested
    assert jenkins_gating_problems(JENKINSFILE.read_text()) == []


def test_the_jenkins_gate_catches_a_stage_that_swallows_failure():
    text = JENKINSFILE.read_text().replace(
        "sh 'make test'", "catchError(buildResult: 'UNSTABLE') { sh 'make test' }"
    )
    assert any("catchError" in p for p in jenkins_gating_problems(text))


def test_jenkins_publishes_the_tested_image_without_rebuilding_it():
    stages = dict(jenkins_stages_with_targets())
    assert "image" not in stages["Publish"] | stages["Release"]
    assert stages["Publish"] >= {"publish"} and stages["Release"] >= {"promote-image"}

"""Contracts between the pipelines and the Makefile: GitHub Actions, Jenkins and `make` agree.

A pipeline step that calls a target nobody defines, a stage that exists in one CI system but
not the other, or a pipeline that runs more or less than `make test` and the parts of
`make check`, fails here — on the CI machine, before anyone pushes.
"""

import re
import subprocess
import tomllib

import pytest
import yaml

from scripts import pipeline
from tests.contract.ci_files import (
    CI_MACHINE_ONLY_PARTS,
    PIPELINE_ONLY_TESTS,
    check_parts,
    commands_in_script,
    defined_make_targets,
    jenkins_calls,
    jenkins_commands,
    jenkins_stages,
    jenkins_targets,
    make_database,
    targets_in_command,
    workflow_calls,
    workflow_names,
    workflow_targets,
)
from tests.helpers import ROOT

# Targets GitHub Actions calls that Jenkins deliberately does not, each with its reason.
GITHUB_ONLY = {
    "check-commits": "pull requests only; the Jenkins job builds branches",
    "system-deps": "apt install with sudo on the runner; the Jenkins image has them built in",
    "system-deps-podman": "apt install with sudo on the runner; a Jenkins agent brings podman",
    "junit-summary": "GitHub's job summary page; Jenkins shows the same reports with `junit`",
    "print-image": "names the image for the Grype scan action, a GitHub Action",
    "sign": "keyless cosign signs with GitHub's OIDC token; Jenkins has no such identity",
    "verify": "checks the signature `sign` made; Jenkins publishes unsigned (no OIDC identity)",
    "image-save": "hands the tested image from the image job to the publish job; Jenkins' stages "
    "share one workspace and engine",
    "image-load": "the other half of image-save",
}


def test_the_target_parser_reads_make_calls_like_a_shell_does():
    script = 'make lint\necho "ref=$(make -s print-image):$TAG"\nmake deploy ENV=staging X="y"'
    assert targets_in_command(script) == ["lint", "print-image", "deploy"]
    assert targets_in_command("make image e2e sbom") == ["image", "e2e", "sbom"]
    assert targets_in_command('sudo env "PATH=$PATH" make ansible-test') == ["ansible-test"]
    assert targets_in_command('echo "merge to make it the active model"') == []


def test_the_command_reader_finds_the_programs_a_shell_step_runs():
    """tests/infra/test_jenkins_agent.py looks for each of these on the agent."""
    script = (
        'host=$(echo "$A" | cut -d/ -f1)\nif [ -z "$B" ]; then\n  exit 0\nfi\nprintf x | podman'
    )
    assert commands_in_script(script) == {"echo", "cut", "[", "exit", "printf", "podman"}
    assert {"make", "git", "podman", "terraform"} <= jenkins_commands()


def test_make_knows_its_own_targets_and_not_invented_ones():
    targets = defined_make_targets()
    assert {"help", "setup", "pipeline", "validate-ci"} <= targets
    assert "no-such-target" not in targets


@pytest.mark.parametrize("workflow", workflow_names())
def test_every_target_a_workflow_calls_exists(workflow):
    missing = workflow_targets(workflow) - defined_make_targets()
    assert not missing, f"{workflow} calls undefined make targets: {sorted(missing)}"


def test_every_target_the_jenkinsfile_calls_exists():
    missing = jenkins_targets() - defined_make_targets()
    assert not missing, f"Jenkinsfile calls undefined make targets: {sorted(missing)}"


# --- one list of stages ----------------------------------------------------------------------
# The parts of `make check` (CHECK_PARTS in mk/core.mk) are the one list of stages. .ci/run
# calls `make check`; `make pipeline` asks make for the list; ci.yml and the Jenkinsfile fan
# out into jobs and stages, so they are held to it here: each runs `make test` and every part
# once, and whatever else it runs is named below with the reason it is not a part.
NOT_CHECK_PARTS = {
    # installs
    "setup": "installs .venv (the parts call it too)",
    "tools": "installs the Node validators",
    "system-deps": "installs apt packages",
    "system-deps-podman": "installs podman",
    # tests that only the pipelines can run
    **dict.fromkeys(PIPELINE_ONLY_TESTS, "needs Terraform's providers or a kind cluster"),
    "kind-up": "starts the kind cluster of k8s-smoke",
    "kind-down": "removes that cluster",
    # the image job's own steps around e2e
    "image": "e2e builds it too; the pipelines build it in a step of its own",
    "print-image": "names the image for the vulnerability scan",
    "sbom": "lists what the tested image ships",
    "image-save": "hands the tested image to the publish job",
    # reports and pull-request checks
    "junit-summary": "a report of make test's results",
    "check-commits": "checks the commit subjects a pull request adds",
    # delivery: runs after every stage passed
    "image-load": "delivery",
    "publish": "delivery",
    "sign": "delivery",
    "verify": "delivery",
    "promote-image": "delivery",
    "changelog": "delivery",
    "deploy": "delivery",
}


def stage_problems(runner: str, calls: list[str], left_out=()) -> list[str]:
    """How the make targets a runner calls differ from `make test` + the parts of `make check`
    (but the parts it leaves out, each for a reason)."""
    stages = [stage for stage in ["test", *check_parts()] if stage not in left_out]
    problems = []
    if missing := [stage for stage in stages if stage not in calls]:
        problems.append(f"{runner} never runs {missing}")
    if twice := sorted({call for call in calls if call in stages and calls.count(call) > 1}):
        problems.append(f"{runner} runs {twice} more than once")
    if extra := sorted(set(calls) - set(stages) - set(NOT_CHECK_PARTS)):
        problems.append(
            f"{runner} runs {extra}, which is no part of `make check`: add it to CHECK_PARTS "
            "(mk/core.mk), or to NOT_CHECK_PARTS here with the reason it is not a part"
        )
    return problems


# The make targets each runner calls, in order, and the parts it leaves out.
RUNNERS = {
    "ci.yml": (lambda: workflow_calls("ci.yml"), CI_MACHINE_ONLY_PARTS),
    "Jenkinsfile": (jenkins_calls, CI_MACHINE_ONLY_PARTS),
    "make pipeline": (lambda: pipeline.default_stages("make"), {}),
}


@pytest.mark.parametrize("runner", RUNNERS)
def test_each_runner_runs_make_test_and_every_part_of_make_check_once(runner):
    assert check_parts(), "make print-check-parts printed nothing"
    assert set(check_parts()) <= defined_make_targets(), "CHECK_PARTS names an unknown target"
    assert set(CI_MACHINE_ONLY_PARTS) <= set(check_parts()), "a reason for no part at all"
    calls, left_out = RUNNERS[runner]
    problems = stage_problems(runner, calls(), left_out)
    assert not problems, "\n".join(problems)


def test_the_stage_check_catches_a_missing_part_a_repeated_one_and_an_extra_one():
    calls = workflow_calls("ci.yml")
    without = [call for call in calls if call != "test-browser"]

    def problems(calls):
        return stage_problems("ci.yml", calls, CI_MACHINE_ONLY_PARTS)

    assert any("never runs ['test-browser']" in p for p in problems(without))
    assert any("more than once" in p for p in problems([*calls, "e2e"]))
    assert any("runs ['bench']" in p for p in problems([*calls, "bench"]))
    assert any("runs ['agent-toolchain']" in p for p in problems([*calls, "agent-toolchain"]))


def test_ci_run_runs_beside_make_check_every_part_it_skips():
    """.ci/run calls `make check CHECK_SKIP="PART..."` and runs each PART itself, in the
    background."""
    script = (ROOT / ".ci/run").read_text()
    assert re.search(r"^make test$", script, re.MULTILINE), ".ci/run must run the fast tier"
    check = re.search(r'^make check(?: CHECK_SKIP=(\S+|"[^"]*"))?$', script, re.MULTILINE)
    assert check, ".ci/run must run `make check`"
    skipped = set((check.group(1) or "").strip('"').split())
    beside = {
        part
        for parts in re.findall(r"^background \S+ make ([\w -]+)$", script, re.MULTILINE)
        for part in parts.split()
    }
    assert skipped <= set(check_parts()), f"CHECK_SKIP names no part of make check: {skipped}"
    assert skipped <= beside, f".ci/run skips {skipped - beside} and never runs it"


# --- make help --------------------------------------------------------------------------------
# The default target lists the targets to start from, by lifecycle stage, `run` and `test`
# first; plumbing stays callable but unlisted (Makefile, above `help`).
LIFECYCLE_GROUPS = ["develop", "test", "integrate (CI)", "deliver and deploy", "monitor", "ML"]
COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def make_help_lines() -> list[str]:
    output = subprocess.run(
        ["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return [line for line in COLOUR.sub("", output).splitlines() if line.strip()]


def test_make_help_lists_run_and_test_first_and_at_most_35_targets_by_stage():
    lines = make_help_lines()
    listed = [line.split()[0] for line in lines if line.startswith("  ")]
    groups = [line for line in lines if not line.startswith(("  ", "Plumbing"))]
    assert lines[0] == "develop", lines[:3]
    assert [line.split()[0] for line in lines[1:3]] == ["run", "test"], lines[:3]
    assert len(listed) <= 35, f"make help lists {len(listed)} targets; plumbing gets a plain #"
    assert len(set(listed)) == len(listed), "a target is listed twice"
    assert set(listed) <= defined_make_targets(), set(listed) - defined_make_targets()
    assert groups == LIFECYCLE_GROUPS, "a `##` target outside a `##@ stage` group, or a new group"


def test_the_makefile_includes_every_mk_file():
    """The Makefile names its mk/ files one by one (their order is make help's order), so a new
    file must be added there, or its targets would not exist."""
    read = re.search(r"^MAKEFILE_LIST := (.*)$", make_database(), re.MULTILINE).group(1).split()
    on_disk = {f"mk/{path.name}" for path in (ROOT / "mk").glob("*.mk")}
    assert on_disk - set(read) == set(), "add these to the Makefile's include line"


def test_jenkins_covers_every_ci_and_cd_target_and_nothing_else():
    github = workflow_targets("ci.yml") | workflow_targets("deploy.yml")
    jenkins = jenkins_targets()
    assert github - set(GITHUB_ONLY) - jenkins == set(), "stages GitHub runs but Jenkins does not"
    assert jenkins - github == set(), "stages Jenkins runs but GitHub Actions does not"


def test_jenkins_has_the_stages_a_student_reads_about():
    stages = jenkins_stages()
    for stage in ("Lint", "Test", "Validate", "Image", "Kubernetes on kind", "Deploy staging"):
        assert stage in stages
    assert stages.index("Approve production") == stages.index("Deploy production") - 1


def test_jenkins_credential_ids_are_the_ones_casc_creates():
    casc = yaml.safe_load((ROOT / "docker/jenkins/casc.yaml").read_text())
    created = {
        next(iter(entry.values()))["id"]
        for domain in casc["credentials"]["system"]["domainCredentials"]
        for entry in domain["credentials"]
    }
    used = set(re.findall(r"credentialsId: '([^']+)'", (ROOT / "Jenkinsfile").read_text()))
    assert used, "the Jenkinsfile uses no credentials?"
    assert used <= created, (
        f"credentials the Jenkinsfile needs but casc never creates: {used - created}"
    )


def test_casc_job_runs_this_repositorys_jenkinsfile():
    casc = yaml.safe_load((ROOT / "docker/jenkins/casc.yaml").read_text())
    script = casc["jobs"][0]["script"]
    assert "scriptPath('Jenkinsfile')" in script
    assert "pipelineJob('lifecycle-lab')" in script


def test_jenkins_plugins_are_pinned_and_cover_the_steps_used():
    lines = (ROOT / "docker/jenkins/plugins.txt").read_text().splitlines()
    plugins = dict(line.split(":", 1) for line in lines if line and not line.startswith("#"))
    assert all(version and version != "latest" for version in plugins.values()), plugins
    # junit step, timestamps(), withCredentials, pipelineJob/casc.
    for needed in (
        "junit",
        "timestamper",
        "credentials-binding",
        "job-dsl",
        "configuration-as-code",
    ):
        assert needed in plugins


def test_jenkins_image_is_a_pinned_lts():
    dockerfile = (ROOT / "docker/jenkins/Dockerfile").read_text()
    base = re.search(r"^FROM (\S+)", dockerfile, flags=re.MULTILINE).group(1)
    assert re.fullmatch(r"jenkins/jenkins:\d+\.\d+\.\d+-lts-jdk\d+", base), base


def test_uv_version_is_written_once():
    """pyproject.toml's [tool.uv] required-version is the one source: setup-uv reads it
    (version-file), the Makefile and docker/Dockerfile read it, and uv refuses any other
    version. No other file may write it down again."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    required = pyproject["tool"]["uv"]["required-version"]
    assert re.fullmatch(r"==\d+\.\d+\.\d+", required), required
    version = required.removeprefix("==")
    assert re.search(rf"^UV_VERSION := {re.escape(version)}$", make_database(), re.M), (
        "make reads it"
    )
    tracked = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    written = []
    for name in filter(None, tracked):
        path = ROOT / name
        if name in {"pyproject.toml", "uv.lock"} or not path.is_file():
            continue
        if path.suffix not in {".yml", ".yaml", ".mk", ".md", ".toml", ".cfg", ".txt", ".sh"} and (
            path.name not in {"Makefile", "Dockerfile", "Jenkinsfile"}
        ):
            continue
        text = path.read_text(errors="replace")
        if re.search(rf"(?i)uv[^\n]{{0,40}}{re.escape(version)}", text):
            written.append(name)
    assert not written, f"the uv version is written again in {written}: read pyproject.toml"


def test_every_terraform_root_is_seen_by_the_validate_target():
    roots = sorted(p.parent for p in (ROOT / "terraform/environments").glob("*/*.tf"))
    assert roots, "no Terraform roots: tf-roots-validate would validate nothing"
    assert {p.name for p in roots} >= {"staging", "production"}


def test_compose_starts_jenkins_only_on_its_profile_with_every_variable_casc_reads():
    service = yaml.safe_load((ROOT / "docker/compose.yaml").read_text())["services"]["jenkins"]
    assert service["profiles"] == ["jenkins"]
    assert service["ports"][0].startswith("127.0.0.1:")  # never on every interface
    lines = (ROOT / "docker/jenkins/casc.yaml").read_text().splitlines()
    casc = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    read_by_casc = set(re.findall(r"\$\{([A-Z_]+)(?::-[^}]*)?\}", casc))
    assert read_by_casc <= set(service["environment"]), read_by_casc - set(service["environment"])
    # The job's default repository is the .git directory compose mounts.
    default_url = re.search(r"REPO_URL:-([^}]+)\}", casc).group(1)
    mounted = {volume.split(":")[1] for volume in service["volumes"]}
    assert default_url.removeprefix("file://") in mounted

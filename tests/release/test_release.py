"""The release loop with its real tools: docker-registry, skopeo, gpg and podman, called
through the make targets the pipelines and `make release-demo` call.

One registry, one signing key and one published, signed image serve the module; staging runs
that digest. Every bad release below must be stopped with a message saying why, a non-zero
exit, and staging still serving the digest it served before.
"""

import os
import shutil
import statistics
import subprocess
import time
from pathlib import Path

import pytest

from app.__main__ import wait_until_up
from tests.e2e import engine as eng
from tests.helpers import ROOT, free_port, missing, require_tool, start_server, stop_server
from tests.integration.test_monitoring_stack import prometheus_test_config, run_prometheus, wait_for

NEVER_READY_SECONDS = 10  # how long the never-ready release gets before its rollback


class ReleaseLoop:
    """`make` with this module's registry port, directories and container names."""

    def __init__(self, workdir: Path, image: str) -> None:
        self.workdir = workdir
        self.image, self.tag = image.rsplit(":", 1)
        self.port = free_port()
        self.variables = {
            "REGISTRY_PORT": str(self.port),
            "REGISTRY_DIR": str(workdir / "registry"),
            "RELEASE_DIR": str(workdir / "release"),
            "IMAGE_REF_FILE": str(workdir / "image-ref.txt"),
            "DEPLOY_NAME": f"lifecycle-lab-test{os.getpid()}",
            "IMAGE": self.image,
            "TAG": self.tag,
        }

    def make(self, *args: str, **variables: str) -> subprocess.CompletedProcess:
        settings = {**self.variables, **variables}
        return subprocess.run(
            ["make", "-s", *args, *(f"{name}={value}" for name, value in settings.items())],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def ok(self, *args: str, **variables: str) -> str:
        result = self.make(*args, **variables)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def publish(self, tag: str) -> str:
        """Push the local image IMAGE:tag under tag; its name@digest."""
        self.ok("publish", TAG=tag, PUBLISH_TAG=tag)
        return (self.workdir / "image-ref.txt").read_text().strip()

    def build(self, tag: str, *dockerfile_lines: str) -> None:
        """A variant of the tested image, tagged IMAGE:tag (test-*: make release-demo builds
        its own never-ready image, and may run at the same time)."""
        dockerfile = "\n".join([f"FROM {self.image}:{self.tag}", *dockerfile_lines])
        subprocess.run(
            ["podman", "build", "--quiet", "--format", "docker", "-t", f"{self.image}:{tag}", "-"],
            input=dockerfile,
            check=True,
            capture_output=True,
            text=True,
        )

    def deployed(self) -> tuple[str, str]:
        """(name@digest, URL) that staging runs."""
        ref, url = self.ok("deployed", ENV="staging").split()
        return ref, url

    def lookaside(self, image_ref: str) -> Path:
        """The folder holding the signatures of image_ref (registries.d names its root)."""
        repository, digest = image_ref.split("@")
        name = repository.split("/", 1)[1]
        return self.workdir / "release" / "signatures" / f"{name}@{digest.replace(':', '=')}"


@pytest.fixture(scope="module")
def loop(tmp_path_factory, engine, image):
    loop = ReleaseLoop(tmp_path_factory.mktemp("release"), image)
    loop.ok("registry-up")
    try:
        loop.ok("signing-key")
        yield loop
    finally:
        loop.make("undeploy-podman", ENV="staging")
        loop.ok("registry-down")
        # The gpg-agent that signing started for this module's key outlives gpg: stop it too.
        gnupg = {**os.environ, "GNUPGHOME": str(loop.workdir / "release" / "gnupg")}
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=gnupg, check=False)


@pytest.fixture(scope="module")
def good(loop) -> str:
    """The tested image, published, signed and deployed to staging: its name@digest."""
    ref = loop.publish(loop.tag)
    loop.ok("sign", IMAGE_REF=ref)
    loop.ok("deploy-podman", ENV="staging", IMAGE_REF=ref)
    return ref


def assert_untouched(loop: ReleaseLoop, good: str) -> None:
    """Staging still runs the good digest, and it still answers."""
    ref, url = loop.deployed()
    assert ref == good
    assert eng.http_get(f"{url}/readyz")[0] == 200


def assert_refused(result: subprocess.CompletedProcess, *why: str) -> None:
    assert result.returncode != 0, result.stdout
    for words in why:
        assert words in result.stderr, result.stderr


def test_the_signed_digest_deploys_and_serves_the_tested_build(loop, good, revision):
    ref, url = loop.deployed()
    assert ref == good
    status, body = eng.http_get(f"{url}/version")
    assert status == 200
    assert revision in body


def test_promotion_copies_the_digest_and_the_signature_without_a_rebuild(loop, good):
    promoted = loop.ok("promote-image", RELEASE_TAG="production", PUBLISH_TAG=loop.tag)
    assert f"lifecycle-lab:production is {good}" in promoted
    # Deploying the promoted digest is a no-op: staging already runs exactly it.
    assert "already runs" in loop.ok("deploy-podman", ENV="staging", IMAGE_REF=good)


def test_an_unsigned_image_is_refused(loop, good):
    loop.build("test-unsigned", "LABEL lifecycle-lab.test=unsigned")
    unsigned = loop.publish("test-unsigned")
    result = loop.make("deploy-podman", ENV="staging", IMAGE_REF=unsigned)
    assert_refused(result, "refused", "A signature was required, but no signature exists")
    assert_untouched(loop, good)


def test_a_signature_copied_onto_another_image_is_refused(loop, good):
    """Tampering: a valid signature of the good digest, put beside a different image."""
    loop.build("test-tampered", "LABEL lifecycle-lab.test=tampered")
    tampered = loop.publish("test-tampered")
    shutil.copytree(loop.lookaside(good), loop.lookaside(tampered))
    result = loop.make("deploy-podman", ENV="staging", IMAGE_REF=tampered)
    assert_refused(result, "refused", "does not match")
    assert_untouched(loop, good)


def test_a_release_that_never_becomes_ready_is_rolled_back(loop, good):
    # The real image with its model gone: it runs, and /readyz answers 503 forever.
    loop.build("test-never-ready", "ENV MODEL_DIR=/nonexistent")
    never_ready = loop.publish("test-never-ready")
    loop.ok("sign", IMAGE_REF=never_ready)
    result = loop.make(
        "deploy-podman",
        ENV="staging",
        IMAGE_REF=never_ready,
        READY_TIMEOUT=str(NEVER_READY_SECONDS),
    )
    assert_refused(result, f"not ready within {NEVER_READY_SECONDS}s: rolled back", good)
    assert_untouched(loop, good)
    names = subprocess.run(
        ["podman", "ps", "-a", "--format", "{{.Names}}"], capture_output=True, text=True
    ).stdout.split()
    assert not [name for name in names if name.endswith(never_ready[-64:][:12])], names


@pytest.mark.parametrize(
    "problem",
    ["unknown digest", "policy does not parse", "no signing key", "registry down"],
)
def test_bad_input_says_what_is_wrong_and_leaves_the_running_version(loop, good, problem):
    repository = good.split("@")[0]
    if problem == "unknown digest":
        result = loop.make(
            "deploy-podman", ENV="staging", IMAGE_REF=f"{repository}@sha256:{'0' * 64}"
        )
        assert_refused(result, "manifest unknown")
    elif problem == "policy does not parse":
        policy = loop.workdir / "broken-policy.json"
        policy.write_text('{"default": [')
        result = loop.make("deploy-podman", ENV="staging", IMAGE_REF=good, POLICY=str(policy))
        assert_refused(result, "invalid policy", str(policy))
    elif problem == "no signing key":
        result = loop.make("sign", IMAGE_REF=good, SIGN_BY="0" * 40)
        assert_refused(result, f"no secret key {'0' * 40}", "nothing was signed")
    else:
        loop.ok("registry-down")
        try:
            result = loop.make("deploy-podman", ENV="staging", IMAGE_REF=good)
            assert_refused(result, "connection refused")
            result = loop.make("publish")
            assert_refused(result, "is the registry up?")
        finally:
            loop.ok("registry-up")
    assert_untouched(loop, good)


def test_registry_up_on_a_taken_port_says_so(loop, tmp_path):
    port = free_port()
    # Something else listening there: a plain HTTP server.
    squatter = start_server(
        ["python3", "-m", "http.server", "--bind", "127.0.0.1", str(port)],
        tmp_path / "http.log",
        cwd=tmp_path,
    )
    try:
        assert wait_until_up(f"http://127.0.0.1:{port}/", squatter, timeout=20) is None
        result = loop.make("registry-up", REGISTRY_PORT=str(port), REGISTRY_DIR=str(tmp_path))
        assert_refused(result, f"127.0.0.1:{port} is taken by another program")
        assert not (tmp_path / "registry.pid").exists()
    finally:
        stop_server(squatter)


def git(*args: str) -> str:
    result = subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True)
    return result.stdout


def test_deploys_and_a_rollback_move_the_delivery_series(loop, good, revision):
    """A real Prometheus, with the repository's rules, scrapes the environments the deploys
    write for it (file_sd_configs, as monitoring/prometheus/prometheus.yml reads them).

    production runs an older commit O, then the tested build H (which brings every commit
    since O: GIT_CHANGES), then O again - a rollback. By hand: two deployments (O -> H -> O;
    O's first start is none, Prometheus saw nothing before it), one rollback, one failed
    deployment (H: an older commit replaced it within the hour), a change failure rate of
    1/2, and for every commit H brings a lead time of H's start minus the commit's time.
    O is the tested image under O's sha and commit time (GIT_SHA, GIT_COMMIT_TIME and the
    revision label, as `make image` at O would set them): building O itself takes minutes."""
    require_tool("prometheus")
    head = revision
    history = [line.split() for line in git("log", "--format=%H %ct %cI", head).splitlines()]
    committed = {sha: int(seconds) for sha, seconds, _ in history}
    # O: two commits back at least, so that H brings a batch (H and the commits between).
    older = [entry for entry in history[2:] if int(entry[1]) < committed[head]]
    if not older:
        missing("an older commit two back in git's history (a shallow clone? fetch-depth: 0)")
    o_sha, _, o_time = older[0]
    brought = git("log", "--format=%H", f"{o_sha}..{head}").split()  # H and its batch
    assert len(brought) >= 2
    loop.build(
        "test-older",
        f"ENV GIT_SHA={o_sha} GIT_COMMIT_TIME={o_time}",
        f"LABEL org.opencontainers.image.revision={o_sha}",
    )
    older_ref = loop.publish("test-older")
    loop.ok("sign", IMAGE_REF=older_ref)

    port = free_port()
    config = prometheus_test_config(free_port(), port, free_port())
    [job] = [job for job in config["scrape_configs"] if job["job_name"] == "lifecycle-lab"]
    del job["static_configs"]  # only the environments the deploys write
    targets = loop.workdir / "release" / "targets"
    job["file_sd_configs"][0]["files"] = [str(targets / "*.json")]
    namespace = f"{loop.variables['DEPLOY_NAME']}-production"

    def value(record: str) -> float | None:
        result = prometheus.query(f'{record}{{namespace="{namespace}"}}')
        return float(result[0]["value"][1]) if result else None

    def runs(sha: str) -> None:
        wait_for(
            f"Prometheus to see production run {sha}",
            lambda: value("namespace:app_commit_timestamp_seconds:max") == committed[sha],
            timeout=60,
        )

    def lead_times(shas: list[str]) -> dict[str, float]:
        """The lead time of each of `shas` running in production, once Prometheus has all."""
        query = f'namespace_git_sha:app_lead_time_seconds:min{{namespace="{namespace}"}}'

        def found() -> dict[str, float]:
            samples = prometheus.query(query)
            times = {s["metric"]["git_sha"]: float(s["value"][1]) for s in samples}
            return times if set(shas) <= times.keys() else {}

        return wait_for(f"lead times of {shas}", found, timeout=60)

    with run_prometheus(config, port) as prometheus:
        try:
            loop.ok("deploy-podman", ENV="production", IMAGE_REF=older_ref)
            runs(o_sha)
            leads = lead_times([o_sha])
            before = time.time()
            loop.ok("deploy-podman", ENV="production", IMAGE_REF=good)
            after = time.time()
            runs(head)
            leads |= lead_times(brought)
            for sha in brought:  # each from the time of its commit to the start of H's process
                assert before - 1 <= committed[sha] + leads[sha] <= after + 1, sha
            loop.ok("deploy-podman", ENV="production", IMAGE_REF=older_ref)  # the rollback
            runs(o_sha)
            wait_for(
                "two deployments",
                lambda: value("namespace:app_deployments:changes1d") == 2,
                timeout=30,
            )
            assert value("namespace:app_rollbacks:resets1d") == 1
            assert value("namespace:app_failed_deployments:count1d") == 1
            assert value("namespace:app_change_failure:ratio1d") == 0.5
            # The median over every commit that ran today, each with its first start.
            expected = statistics.median(leads[sha] for sha in [o_sha, *brought])
            assert value("namespace:app_lead_time_seconds:median1d") == pytest.approx(expected)
        finally:
            loop.make("undeploy-podman", ENV="production")
    assert not (targets / f"{namespace}.json").exists()

"""scripts/deploy_overlay.py --render: the overlay with the pipeline's image, built by the real
`kubectl kustomize` (what `make deploy-render` and the deploy stages run)."""

import json
import subprocess

from scripts import deploy_overlay
from tests.helpers import ROOT, missing, require_tool, run_deploy_overlay


def test_deploy_render_pins_the_published_digest_and_leaves_the_overlay_alone():
    require_tool("kubectl")
    overlay = ROOT / "k8s/overlays/staging/kustomization.yaml"
    before = overlay.read_text()
    digest = "sha256:" + "ab" * 32
    result = run_deploy_overlay(
        "--env", "staging", "--image", f"ghcr.io/student/lifecycle-lab@{digest}", "--render"
    )
    assert result.returncode == 0, result.stderr
    images = [
        line.split("image:")[1].strip() for line in result.stdout.splitlines() if " image: " in line
    ]
    assert f"ghcr.io/student/lifecycle-lab@{digest}" in images
    assert not any(image.startswith("localhost/lifecycle-lab") for image in images)
    assert overlay.read_text() == before
    pinned = json.loads((ROOT / "build/deploy-staging/kustomization.yaml").read_text())
    assert pinned["images"][0]["digest"] == digest


def git(*args: str) -> str:
    result = subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True)
    return result.stdout.strip()


def test_deploy_render_annotates_each_deployment_with_the_commit_it_runs():
    require_tool("kubectl")
    digest = "sha256:" + "cd" * 32
    result = run_deploy_overlay(
        "--env", "staging", "--image", f"ghcr.io/student/lifecycle-lab@{digest}", "--render"
    )
    assert result.returncode == 0, result.stderr
    assert f"{deploy_overlay.REVISION_ANNOTATION}: {git('rev-parse', 'HEAD')}" in result.stdout
    assert "GIT_CHANGES" not in result.stdout  # no cluster: the running commit is unknown


def test_a_deploy_passes_the_commits_since_the_running_one_to_the_app():
    """What --apply does after reading the running commit: the range of real history, in the
    environment's ConfigMap, merged with the overlay's own values (by the real kustomize)."""
    require_tool("kubectl")
    if int(git("rev-list", "--count", "HEAD")) < 3:
        missing("three commits of history (a shallow clone? fetch-depth: 0)")
    head, middle, older = git("rev-parse", "HEAD", "HEAD~1", "HEAD~2").split()
    brought = f"{middle}={git('log', '-1', '--format=%cI', middle)}"
    assert deploy_overlay.changes_since(older, head) == brought
    assert deploy_overlay.changes_since(head, older) == ""  # a rollback brings nothing new
    assert deploy_overlay.changes_since(None, head) == ""  # a first deploy: only its own
    build_dir = deploy_overlay.write_kustomization(
        "staging", "ghcr.io/student/lifecycle-lab:test", "localhost/lifecycle-lab", head, brought
    )
    manifests = subprocess.run(
        ["kubectl", "kustomize", str(build_dir)], check=True, capture_output=True, text=True
    ).stdout
    assert f"GIT_CHANGES: {brought}" in manifests
    assert "APP_ENV: staging" in manifests

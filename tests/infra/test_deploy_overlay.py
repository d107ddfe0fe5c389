"""scripts/deploy_overlay.py --render: the overlay with the pipeline's image, built by the real
`kubectl kustomize` (what `make deploy-render` and the deploy stages run)."""

import json

from tests.helpers import ROOT, require_tool, run_deploy_overlay


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

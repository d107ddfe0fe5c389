"""`make deploy` and `make promote-image` against stand-ins, the way
tests/integration/test_k8s_scripts.py meets a cluster: no Kubernetes or registry can run on the
CI machine, so a fake `kubectl` / `skopeo` first on PATH answers exactly where they would, and
writes down every call. The scripts themselves run unchanged (the real kind rollback is proven
by `make k8s-rollback-check` in ci.yml's e2e-kind job).
"""

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, fake_bin, run_deploy_overlay

DIGEST = "sha256:" + "ab" * 32
IMAGE = f"ghcr.io/student/lifecycle-lab@{DIGEST}"

# FAKE_READY: "always", "never", or "after-undo" (the new revision is never ready, the
# previous one is). FAKE_UNDO=fail makes `rollout undo` fail (a first deploy). FAKE_RUNNING:
# the commit the Deployment's annotation names (none without it). Each call is a JSON line in
# FAKE_LOG, with the kubeconfig it saw and that file's mode.
FAKE_KUBECTL = """\
#!{python}
import json, os, stat, sys
args = sys.argv[1:]
config = os.environ.get("KUBECONFIG")
seen = {{"args": args, "path": config, "kubeconfig": None, "mode": None}}
if config and os.path.exists(config):
    seen["kubeconfig"] = open(config).read()
    seen["mode"] = oct(stat.S_IMODE(os.stat(config).st_mode))
log = os.environ["FAKE_LOG"]
with open(log, "a") as out:
    out.write(json.dumps(seen) + "\\n")
calls = [json.loads(line)["args"] for line in open(log)]
undone = any(call[:2] == ["rollout", "undo"] for call in calls)
if args[0] == "apply":
    print("deployment.apps/lifecycle-lab configured")
elif args[0] == "get":
    running = os.environ.get("FAKE_RUNNING")
    annotations = {{"lifecycle-lab/git-sha": running}} if running else {{}}
    print(json.dumps({{"items": [
        {{"kind": "Service", "metadata": {{"name": "lifecycle-lab", "namespace": "ns"}}}},
        {{"kind": "Deployment", "metadata": {{"name": "lifecycle-lab", "namespace": "ns",
                                            "annotations": annotations}}}},
    ]}}))
elif args[:2] == ["rollout", "status"]:
    ready = os.environ["FAKE_READY"]
    if ready == "always" or (ready == "after-undo" and undone):
        print('deployment "lifecycle-lab" successfully rolled out')
    else:
        sys.exit("error: timed out waiting for the condition")
elif args[:2] == ["rollout", "undo"]:
    if os.environ.get("FAKE_UNDO") == "fail":
        sys.exit('error: no rollout history found for deployment "lifecycle-lab"')
    print("deployment.apps/lifecycle-lab rolled back")
else:
    sys.exit(f"fake kubectl: unexpected call {{args}}")
"""


def deploy(tmp_path: Path, ready: str, **env: str):
    bin_dir = fake_bin(tmp_path, kubectl=FAKE_KUBECTL.format(python=sys.executable))
    log = tmp_path / "kubectl.log"
    log.touch()
    result = run_deploy_overlay(
        "--env",
        "staging",
        "--image",
        IMAGE,
        "--base-image",
        "localhost/lifecycle-lab",
        "--apply",
        env={
            "PATH": f"{bin_dir}:/usr/bin:/bin",
            "HOME": str(tmp_path),
            "FAKE_LOG": str(log),
            "FAKE_READY": ready,
            "ROLLOUT_TIMEOUT": "7s",
            **env,
        },
        timeout=60,
    )
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    return result, calls


def verbs(calls: list[dict]) -> list[str]:
    return [" ".join(call["args"][:2]) for call in calls]


def test_a_ready_rollout_deploys_and_never_rolls_back(tmp_path):
    result, calls = deploy(tmp_path, "always")
    assert result.returncode == 0, result.stderr
    assert f"deployed {IMAGE} to staging" in result.stdout
    # First the commit staging runs (for GIT_CHANGES), read from the overlay's live objects.
    assert calls[0]["args"][:3] == ["get", "-k", str(ROOT / "k8s/overlays/staging")]
    assert verbs(calls)[1] == "apply -k"
    assert "replaces no known commit; GIT_CHANGES: 0 earlier commit(s)" in result.stdout
    assert "rollout undo" not in verbs(calls)
    status = next(call["args"] for call in calls if call["args"][:2] == ["rollout", "status"])
    assert status[2:] == ["deployment/lifecycle-lab", "-n", "ns", "--timeout=7s"]


def test_the_deploy_reads_the_running_commit_and_annotates_the_new_one(tmp_path):
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    result, _ = deploy(tmp_path, "always", FAKE_RUNNING=head)
    assert result.returncode == 0, result.stderr
    # The same commit again brings nothing beyond itself (tests/infra: a range of history).
    assert f"deploy: {head} replaces {head}; GIT_CHANGES: 0 earlier commit(s)" in result.stdout
    applied = json.loads((ROOT / "build/deploy-staging/kustomization.yaml").read_text())
    [patch] = applied["patches"]
    assert json.loads(patch["patch"])[0]["value"] == head
    assert "configMapGenerator" not in applied


def test_a_rollout_that_never_gets_ready_is_rolled_back_and_fails_naming_it(tmp_path):
    result, calls = deploy(tmp_path, "after-undo")
    assert result.returncode == 1
    assert verbs(calls)[-3:] == ["rollout status", "rollout undo", "rollout status"]
    assert (
        "deploy FAILED: deployment/lifecycle-lab in namespace ns was not ready within 7s; "
        "rolled back to the previous revision" in result.stderr
    )
    assert "deployed" not in result.stdout


def test_a_failed_first_deploy_says_there_was_nothing_to_roll_back_to(tmp_path):
    result, _ = deploy(tmp_path, "never", FAKE_UNDO="fail")
    assert result.returncode == 1
    assert "the rollback failed too (a first deploy has no previous revision)" in result.stderr


def test_the_kubeconfig_is_decoded_once_here_privately_and_removed(tmp_path):
    config = "apiVersion: v1\nkind: Config\nclusters: []\n"
    encoded = base64.b64encode(config.encode()).decode()
    result, calls = deploy(tmp_path, "always", KUBECONFIG_B64=encoded)
    assert result.returncode == 0, result.stderr
    assert all(call["kubeconfig"] == config for call in calls), calls
    assert {call["mode"] for call in calls} == {"0o600"}
    paths = {call["path"] for call in calls}
    assert len(paths) == 1 and not Path(paths.pop()).exists(), "removed after the deploy"


def test_a_kubeconfig_that_is_not_base64_fails_before_kubectl_runs(tmp_path):
    result, calls = deploy(tmp_path, "always", KUBECONFIG_B64="not base64!")
    assert result.returncode != 0
    assert "KUBECONFIG_B64 is not valid base64" in result.stderr
    assert calls == []


# --- promote-image: a new tag on the existing manifest, never a rebuild ---------------------

# FAKE_DIGESTS: "ref=digest,..." the registry knows. copy makes the destination tag point at
# the source digest (what --preserve-digests guarantees).
FAKE_SKOPEO = """\
#!/bin/sh
echo "$*" >> "$FAKE_LOG"
state="$FAKE_STATE"
lookup() {
  grep -F "$1=" "$state" | tail -n 1 | cut -d= -f2
}
# The image references are the last arguments, after any options.
before=""; last=""
for arg in "$@"; do before=$last; last=$arg; done
case "$1" in
  inspect)
    ref=${last#docker://}
    digest=$(lookup "$ref")
    [ -n "$digest" ] || { echo "manifest unknown" >&2; exit 1; }
    echo "$digest" ;;
  copy)
    src=${before#docker://}; dst=${last#docker://}
    echo "$dst=${src#*@}" >> "$state" ;;
  *) echo "unexpected skopeo call $*" >&2; exit 99 ;;
esac
"""


def promote(tmp_path: Path, known: dict[str, str]):
    bin_dir = fake_bin(tmp_path, skopeo=FAKE_SKOPEO)
    state = tmp_path / "registry"
    state.write_text("".join(f"{ref}={digest}\n" for ref, digest in known.items()))
    log = tmp_path / "skopeo.log"
    work = tmp_path / "work"
    work.mkdir()
    result = subprocess.run(
        ["bash", str(ROOT / "scripts/promote_image.sh"), "ghcr.io/o/r", "c0ffee", "v1.2.0"],
        cwd=work,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "FAKE_LOG": str(log), "FAKE_STATE": str(state)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    return result, (log.read_text().splitlines() if log.exists() else []), work


def test_a_release_tags_the_digest_published_for_the_commit(tmp_path):
    result, calls, work = promote(tmp_path, {"ghcr.io/o/r:c0ffee": DIGEST})
    assert result.returncode == 0, result.stderr
    copy = next(call for call in calls if call.startswith("copy"))
    assert "--preserve-digests" in copy
    assert copy.endswith(f"docker://ghcr.io/o/r@{DIGEST} docker://ghcr.io/o/r:v1.2.0")
    assert (work / "reports/image-ref.txt").read_text() == f"ghcr.io/o/r@{DIGEST}\n"


def test_a_release_of_a_commit_ci_never_published_releases_nothing(tmp_path):
    result, calls, work = promote(tmp_path, {})
    assert result.returncode == 1
    assert "no image ghcr.io/o/r:c0ffee" in result.stderr
    assert "nothing was released" in result.stderr
    assert not any(call.startswith("copy") for call in calls)
    assert not (work / "reports/image-ref.txt").exists()


@pytest.mark.parametrize("script", ["promote_image.sh", "publish_image.sh"])
def test_the_delivery_scripts_never_build(script):
    text = (ROOT / "scripts" / script).read_text()
    assert " build " not in text and "make image" not in text
    assert os.access(ROOT / "scripts" / script, os.X_OK)

"""Deploy a kustomize overlay with the image a pipeline just built: `make deploy ENV=staging`.

The overlay in git stays untouched. A throw-away kustomization in build/deploy-<env>/ takes
the overlay as its base and pins the image by digest (kustomize `images`), so the cluster
runs exactly the image that was tested and signed:

    python3 scripts/deploy_overlay.py --env staging --image ghcr.io/o/r@sha256:... --render
    python3 scripts/deploy_overlay.py --env staging --image ghcr.io/o/r@sha256:... --apply

--render prints the manifests (works without a cluster); --apply runs `kubectl apply -k` and
waits for every Deployment's rollout. Each Deployment is annotated with the commit it runs
(this checkout's, the one the pipeline built the image from); the next --apply reads that
annotation and hands the app every commit since as GIT_CHANGES, so that lead time counts each
commit a deployment brings (DORA). --render cannot know the running commit (no cluster): it
sets no GIT_CHANGES. A rollout that is not ready within $ROLLOUT_TIMEOUT is
undone (`kubectl rollout undo`: back to the previous revision) and the exit status is non-zero,
naming the Deployment that failed.

Cluster credentials: $KUBECONFIG_B64 (a base64 kubeconfig, as CI secrets hold it) is decoded
here, into a private temporary file that is removed afterwards - the one place GitHub Actions
and Jenkins hand a kubeconfig over. Without it, kubectl's own $KUBECONFIG or ~/.kube/config
applies, as on a laptop. Standard library only: the deploy jobs need no virtualenv.
"""

import argparse
import base64
import binascii
import json
import os
import re
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OVERLAYS = ROOT / "k8s" / "overlays"
ROLLOUT_TIMEOUT = os.environ.get("ROLLOUT_TIMEOUT", "300s")
# Left on each Deployment by the deploy: the commit it runs (see the module's docstring).
REVISION_ANNOTATION = "lifecycle-lab/git-sha"
# name[:tag] or name@sha256:<64 hex>; the name may carry a registry host and path.
IMAGE_REF = re.compile(
    r"^(?P<name>[a-z0-9][a-z0-9._/:-]*?)"
    r"(?::(?P<tag>[\w.-]+)|@(?P<digest>sha256:[0-9a-f]{64}))$"
)


def split_image(ref: str) -> dict:
    match = IMAGE_REF.match(ref)
    if not match:
        raise SystemExit(f"not an image reference: {ref!r} (want name:tag or name@sha256:...)")
    return match.groupdict()


def base_image_name() -> str:
    """The image name the manifests use: the one `make image` builds (`make print-image`)."""
    printed = subprocess.run(
        ["make", "-s", "--no-print-directory", "print-image"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    name = printed.splitlines()[-1]
    return split_image(name)["name"] if IMAGE_REF.match(name) else name


def git(*args: str) -> str | None:
    """git's output in this checkout, or None where git cannot answer (no checkout, a shallow
    clone that lacks a commit)."""
    result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else None


def changes_since(previous: str | None, revision: str | None) -> str:
    """GIT_CHANGES: the commits `revision` brings beyond itself since `previous`, as
    `sha=ISO 8601` pairs (app/config.py); none where git cannot tell."""
    if not previous or not revision:
        return ""
    log = git("log", "--format=%H=%cI", f"{previous}..{revision}")
    return " ".join(line for line in (log or "").splitlines() if not line.startswith(revision))


def deployed_revision(env: str) -> str | None:
    """The commit the environment's Deployments run, from the annotation the previous deploy
    left; None on a first deploy (or one made before deploys left it)."""
    listed = kubectl(
        "get", "-k", str(OVERLAYS / env), "-o", "json", "--ignore-not-found", capture=True
    )
    items = json.loads(listed).get("items", []) if listed.strip() else []
    revisions = {
        item["metadata"].get("annotations", {}).get(REVISION_ANNOTATION)
        for item in items
        if item.get("kind") == "Deployment"
    }
    return revisions.pop() if len(revisions) == 1 else None


def write_kustomization(
    env: str, image: str, base_name: str, revision: str | None = None, changes: str = ""
) -> Path:
    overlay = OVERLAYS / env
    if not (overlay / "kustomization.yaml").is_file():
        known = sorted(p.name for p in OVERLAYS.iterdir()) if OVERLAYS.is_dir() else []
        raise SystemExit(f"no overlay {overlay} (known: {', '.join(known) or 'none'})")
    parts = split_image(image)
    pin = {"name": base_name, "newName": parts["name"]}
    if parts["digest"]:
        pin["digest"] = parts["digest"]
    else:
        pin["newTag"] = parts["tag"]
    build_dir = ROOT / "build" / f"deploy-{env}"
    build_dir.mkdir(parents=True, exist_ok=True)
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [os.path.relpath(overlay, build_dir)],
        "images": [pin],
    }
    if revision:
        annotate = [
            {
                "op": "add",
                "path": "/metadata/annotations/" + REVISION_ANNOTATION.replace("/", "~1"),
                "value": revision,
            }
        ]
        kustomization["patches"] = [
            {"target": {"kind": "Deployment"}, "patch": json.dumps(annotate)}
        ]
    if changes:
        kustomization["configMapGenerator"] = [
            {
                "name": "lifecycle-lab-env",
                "behavior": "merge",
                "literals": [f"GIT_CHANGES={changes}"],
            }
        ]
    # JSON is valid YAML, and json needs no third-party package.
    (build_dir / "kustomization.yaml").write_text(json.dumps(kustomization, indent=2) + "\n")
    return build_dir


def kubectl(*args: str, capture: bool = False) -> str:
    result = subprocess.run(["kubectl", *args], check=True, capture_output=capture, text=True)
    return result.stdout if capture else ""


def kubectl_succeeds(*args: str) -> bool:
    """Run kubectl, its output shown; whether it succeeded (a failure is an answer here)."""
    return subprocess.run(["kubectl", *args], check=False).returncode == 0


@contextmanager
def kubeconfig_from_environment():
    """$KUBECONFIG_B64 -> a 0600 file in a private temporary directory, named by $KUBECONFIG
    while the deploy runs, removed afterwards. Without $KUBECONFIG_B64 nothing changes."""
    encoded = "".join(os.environ.get("KUBECONFIG_B64", "").split())
    if not encoded:
        yield
        return
    try:
        config = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise SystemExit(
            "deploy: KUBECONFIG_B64 is not valid base64 (make it with base64 -w0 kubeconfig)"
        ) from None
    previous = os.environ.get("KUBECONFIG")
    with tempfile.TemporaryDirectory(prefix="deploy-") as private:
        path = Path(private) / "kubeconfig"
        path.touch(mode=0o600)
        path.write_bytes(config)
        os.environ["KUBECONFIG"] = str(path)
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop("KUBECONFIG", None)
            else:
                os.environ["KUBECONFIG"] = previous


def deployments(build_dir: Path) -> list[tuple[str, str]]:
    """(name, namespace) of every Deployment the kustomization applies."""
    listed = json.loads(kubectl("get", "-k", str(build_dir), "-o", "json", capture=True))
    items = listed.get("items", [listed])
    return [
        (item["metadata"]["name"], item["metadata"].get("namespace", "default"))
        for item in items
        if item.get("kind") == "Deployment"
    ]


def rollout_ready(name: str, namespace: str) -> bool:
    return kubectl_succeeds(
        "rollout", "status", f"deployment/{name}", "-n", namespace, f"--timeout={ROLLOUT_TIMEOUT}"
    )


def wait_or_roll_back(build_dir: Path) -> list[str]:
    """Wait for every rollout; undo each one that is not ready in time. Returns the failures."""
    failures = []
    for name, namespace in deployments(build_dir):
        if rollout_ready(name, namespace):
            continue
        failure = (
            f"deployment/{name} in namespace {namespace} was not ready within {ROLLOUT_TIMEOUT}"
        )
        print(f"deploy: {failure}; rolling back to the previous revision", file=sys.stderr)
        if not kubectl_succeeds("rollout", "undo", f"deployment/{name}", "-n", namespace):
            failure += "; the rollback failed too (a first deploy has no previous revision)"
        elif rollout_ready(name, namespace):
            failure += "; rolled back to the previous revision"
        else:
            failure += "; rolled back, but the previous revision is not ready either"
        failures.append(failure)
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True, help="overlay name under k8s/overlays/")
    parser.add_argument("--image", required=True, help="image reference, ideally name@sha256:...")
    parser.add_argument("--base-image", help="image name used in the manifests (default: make)")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--render", action="store_true", help="print the manifests")
    action.add_argument("--apply", action="store_true", help="kubectl apply and wait")
    args = parser.parse_args(argv)

    base_name = args.base_image or base_image_name()
    revision = git("rev-parse", "HEAD")
    if args.render:
        build_dir = write_kustomization(args.env, args.image, base_name, revision)
        sys.stdout.write(kubectl("kustomize", str(build_dir), capture=True))
        return 0
    with kubeconfig_from_environment():
        previous = deployed_revision(args.env)
        changes = changes_since(previous, revision)
        print(
            f"deploy: {revision} replaces {previous or 'no known commit'}; GIT_CHANGES: "
            f"{len(changes.split())} earlier commit(s)"
        )
        build_dir = write_kustomization(args.env, args.image, base_name, revision, changes)
        kubectl("apply", "-k", str(build_dir))
        failures = wait_or_roll_back(build_dir)
    if failures:
        for failure in failures:
            print(f"deploy FAILED: {failure}", file=sys.stderr)
        return 1
    print(f"deployed {args.image} to {args.env}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

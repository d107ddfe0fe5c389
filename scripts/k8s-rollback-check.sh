#!/usr/bin/env bash
# make k8s-rollback-check: prove on kind that a rollout which never becomes ready undoes itself.
# Run after `make kind-up`. It builds an image whose readiness never succeeds — the real image
# with MODEL_DIR pointing where no model is, so the app runs and /readyz answers 503 forever —
# deploys it with `make deploy` (scripts/deploy_overlay.py) and expects: a non-zero exit that
# names the Deployment, the previous image back in the Deployment, and that revision ready.
set -euo pipefail

CLUSTER="${KIND_CLUSTER:-lifecycle-lab}"
CONTEXT="kind-${CLUSTER}"
NAMESPACE="lifecycle-lab-dev"
TIMEOUT="${ROLLBACK_CHECK_TIMEOUT:-60s}" # how long the broken rollout gets before it is undone

cd "$(dirname "$0")/.."

die() {
    printf 'k8s-rollback-check: %s\n' "$*" >&2
    exit 1
}
k() { kubectl --context "$CONTEXT" -n "$NAMESPACE" "$@"; }
running_image() { k get deployment/lifecycle-lab -o jsonpath='{.spec.template.spec.containers[0].image}'; }

image="$(make -s print-image)"
broken="${image}:never-ready"
before="$(running_image)" || die "no deployment/lifecycle-lab in ${NAMESPACE}: run make kind-up first"

printf 'FROM %s:dev\nENV MODEL_DIR=/nonexistent\n' "$image" | docker build --tag "$broken" -
kind load docker-image "$broken" --name "$CLUSTER"

status=0
output="$(ROLLOUT_TIMEOUT="$TIMEOUT" make deploy ENV=dev IMAGE_REF="$broken" 2>&1)" || status=$?
printf '%s\n' "$output"

[[ "$status" -ne 0 ]] || die "make deploy exited 0 with an image that is never ready"
grep -q "deploy FAILED: deployment/lifecycle-lab in namespace ${NAMESPACE} was not ready" <<<"$output" ||
    die "make deploy failed, but did not name the Deployment that was not ready"
grep -q "rolled back to the previous revision" <<<"$output" || die "make deploy did not roll back"
after="$(running_image)"
[[ "$after" == "$before" ]] || die "after the rollback the Deployment runs ${after}, not ${before}"
k rollout status deployment/lifecycle-lab --timeout 120s
echo "k8s-rollback-check: the never-ready ${broken} was rolled back; ${before} serves again"

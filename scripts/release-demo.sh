#!/usr/bin/env bash
# make release-demo: the whole release loop on this machine, built from the make targets the
# pipelines call, one line per step with the digest it handled and its time:
#   registry up -> image -> publish -> sign -> promote to staging -> deploy staging ->
#   promote to production -> deploy production -> an unsigned release refused -> a signed
#   release that never becomes ready rolled back -> registry down.
# Each step's own output goes to build/release/demo.log (shown when a step fails).
set -euo pipefail
cd "$(dirname "$0")/.."

log=${RELEASE_DIR:?}/demo.log
mkdir -p "$RELEASE_DIR"
: >"$log"
started=$SECONDS

step() { # step NAME COMMAND...: run it, its output to the log; stop the demo if it fails
  local name=$1 at=$SECONDS
  shift
  echo "== $name: $*" >>"$log"
  if ! "$@" >>"$log" 2>&1; then
    tail -n 25 "$log" >&2
    echo "release-demo: $name FAILED (whole log: $log)" >&2
    exit 1
  fi
  last_time=$((SECONDS - at))
}
expect_failure() { # expect_failure NAME WHY COMMAND...: the command must fail, saying WHY
  local name=$1 why=$2 at=$SECONDS output
  shift 2
  echo "== $name (must fail): $*" >>"$log"
  if output=$("$@" 2>&1); then
    echo "$output" >>"$log"
    echo "release-demo: $name succeeded, but must have been refused" >&2
    exit 1
  fi
  echo "$output" >>"$log"
  grep -q "$why" <<<"$output" || {
    echo "$output" >&2
    echo "release-demo: $name failed, but not with '$why'" >&2
    exit 1
  }
  last_time=$((SECONDS - at))
}
line() { printf 'release-demo: %-30s %-72s %4ss\n' "$1" "$2" "$last_time"; }
ref() { cat "$IMAGE_REF_FILE"; }

# Whatever happens, leave nothing running: the two environments, the registry, and the
# gpg-agent that signing started for the demo key's GNUPGHOME.
cleanup() {
  make -s undeploy-podman ENV=staging >>"$log" 2>&1 || true
  make -s undeploy-podman ENV=production >>"$log" 2>&1 || true
  make -s registry-down >>"$log" 2>&1 || true
  gpgconf --kill gpg-agent >>"$log" 2>&1 || true
}
trap cleanup EXIT

step "registry up" make registry-up
line "registry up" "127.0.0.1:$REGISTRY_PORT"
step "signing key" make signing-key
line "signing key" "$(cat "$RELEASE_DIR/signing-key.fpr")"
image=$(make -s print-image)
tag=$(git rev-parse --short HEAD) # the tag make image gives the build (TAG in mk/container.mk)
step "image" make image
line "image" "$image:$tag"
step "publish" make publish
good=$(ref)
line "publish" "$good"
step "sign" make sign IMAGE_REF="$good"
line "sign" "$good"
step "promote to staging" make promote-image RELEASE_TAG=staging
line "promote to staging" "$(ref)"
step "deploy staging" make deploy-podman ENV=staging IMAGE_REF="$(ref)"
line "deploy staging" "$(make -s deployed ENV=staging)"
step "promote to production" make promote-image RELEASE_TAG=production
line "promote to production" "$(ref)"
step "deploy production" make deploy-podman ENV=production IMAGE_REF="$(ref)"
line "deploy production" "$(make -s deployed ENV=production)"

# A bad release: the real image with its model gone, so it runs but is never ready
# (as scripts/k8s-rollback-check.sh does on kind). Published under a tag of its own, unsigned.
build_never_ready() {
  printf 'FROM %s\nENV MODEL_DIR=/nonexistent\n' "$image:$tag" |
    podman build --quiet --format docker --tag "$image:never-ready" -
}
step "build a bad release" build_never_ready
step "publish a bad release" make publish TAG=never-ready PUBLISH_TAG=never-ready
bad=$(ref)
line "publish a bad release" "$bad"
expect_failure "deploy it unsigned" "A signature was required" \
  make deploy-podman ENV=production IMAGE_REF="$bad"
line "deploy it unsigned: refused" "$bad"
step "sign the bad release" make sign IMAGE_REF="$bad"
expect_failure "deploy it signed" "rolled back" \
  make deploy-podman ENV=production READY_TIMEOUT=20 IMAGE_REF="$bad"
line "deploy it signed: rolled back" "$bad"
serving=$(make -s deployed ENV=production)
[[ $serving == "$good "* ]] || {
  echo "release-demo: production runs $serving, not $good" >&2
  exit 1
}
curl -fsS "${serving##* }/readyz" >/dev/null
last_time=0
line "production still serves" "$serving"

trap - EXIT
cleanup
last_time=0
line "registry down" "127.0.0.1:$REGISTRY_PORT"
echo "release-demo: the whole loop in $((SECONDS - started))s (log: $log)"

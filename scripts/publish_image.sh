#!/usr/bin/env bash
# Push a locally built image to a registry and record its immutable reference.
#   scripts/publish_image.sh LOCAL_IMAGE REGISTRY_IMAGE TAG
# Writes $IMAGE_REF_FILE (default reports/image-ref.txt) = REGISTRY_IMAGE@sha256:... — deploys and signatures use the
# digest, never the tag, so what was tested is exactly what runs.
# The caller must be logged in to the registry (docker/login-action, or Jenkins credentials);
# the local registry of `make registry-up` needs no login.
set -euo pipefail

local_image=${1:?local image (make print-image)}
registry_image=${2:?registry image, e.g. ghcr.io/owner/lifecycle-lab}
tag=${3:?tag, e.g. the git sha or v1.2.3}

engine=${CONTAINER_ENGINE:?docker or podman (make publish detects which one answers)}
ref_file=${IMAGE_REF_FILE:-reports/image-ref.txt}
digest_file=$(mktemp)
trap 'rm -f "$digest_file"' EXIT
mkdir -p "$(dirname "$ref_file")"

die() {
  echo "publish: $*" >&2
  exit 1
}
unreachable="could not push to $registry_image (is the registry up? here: make registry-up)"

"$engine" tag "$local_image" "$registry_image:$tag"
if [ "$engine" = podman ]; then
  # TLS_VERIFY=false for a registry on loopback (make registry-up), which speaks plain HTTP.
  # --remove-signatures: signing is a step of its own (make sign), after the push; a copy of
  # this image that a deploy fetched may carry a signature podman would refuse to re-push.
  podman push --remove-signatures --tls-verify="${TLS_VERIFY:-true}" --digestfile "$digest_file" \
    "$registry_image:$tag" || die "$unreachable"
  digest=$(cat "$digest_file")
else
  docker push "$registry_image:$tag" || die "$unreachable"
  repo_digest=$(docker image inspect --format '{{index .RepoDigests 0}}' "$registry_image:$tag")
  digest=${repo_digest#*@}
fi

case "$digest" in
  sha256:*) ;;
  *) die "could not read the pushed digest (got '$digest')" ;;
esac
echo "$registry_image@$digest" | tee "$ref_file"

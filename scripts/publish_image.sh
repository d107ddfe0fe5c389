#!/usr/bin/env bash
# Push a locally built image to a registry and record its immutable reference.
#   scripts/publish_image.sh LOCAL_IMAGE REGISTRY_IMAGE TAG
# Writes reports/image-ref.txt = REGISTRY_IMAGE@sha256:... — deploys and signatures use the
# digest, never the tag, so what was tested is exactly what runs.
# The caller must be logged in to the registry (docker/login-action, or Jenkins credentials);
# the local registry of `make registry-up` needs no login.
set -euo pipefail

local_image=${1:?local image (make print-image)}
registry_image=${2:?registry image, e.g. ghcr.io/owner/lifecycle-lab}
tag=${3:?tag, e.g. the git sha or v1.2.3}

engine=${CONTAINER_ENGINE:?docker or podman (make publish detects which one answers)}
mkdir -p reports

die() {
  echo "publish: $*" >&2
  exit 1
}
unreachable="could not push to $registry_image (is the registry up? here: make registry-up)"

"$engine" tag "$local_image" "$registry_image:$tag"
if [ "$engine" = podman ]; then
  # TLS_VERIFY=false for a registry on loopback (make registry-up), which speaks plain HTTP.
  podman push --tls-verify="${TLS_VERIFY:-true}" --digestfile reports/image-digest.txt \
    "$registry_image:$tag" || die "$unreachable"
  digest=$(cat reports/image-digest.txt)
else
  docker push "$registry_image:$tag" || die "$unreachable"
  repo_digest=$(docker image inspect --format '{{index .RepoDigests 0}}' "$registry_image:$tag")
  digest=${repo_digest#*@}
fi

case "$digest" in
  sha256:*) ;;
  *) die "could not read the pushed digest (got '$digest')" ;;
esac
echo "$registry_image@$digest" | tee reports/image-ref.txt

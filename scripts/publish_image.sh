#!/usr/bin/env bash
# Push a locally built image to a registry and record its immutable reference.
#   scripts/publish_image.sh LOCAL_IMAGE REGISTRY_IMAGE TAG
# Writes reports/image-ref.txt = REGISTRY_IMAGE@sha256:... — deploys and signatures use the
# digest, never the tag, so what was tested is exactly what runs.
# The caller must be logged in to the registry (docker/login-action, or Jenkins credentials).
set -euo pipefail

local_image=${1:?local image (make print-image)}
registry_image=${2:?registry image, e.g. ghcr.io/owner/lifecycle-lab}
tag=${3:?tag, e.g. the git sha or v1.2.3}

if command -v docker >/dev/null 2>&1; then engine=docker; else engine=podman; fi
mkdir -p reports

"$engine" tag "$local_image" "$registry_image:$tag"
if [ "$engine" = podman ]; then
  podman push --digestfile reports/image-digest.txt "$registry_image:$tag"
  digest=$(cat reports/image-digest.txt)
else
  docker push "$registry_image:$tag"
  repo_digest=$(docker image inspect --format '{{index .RepoDigests 0}}' "$registry_image:$tag")
  digest=${repo_digest#*@}
fi

case "$digest" in
  sha256:*) ;;
  *) echo "could not read the pushed digest (got '$digest')" >&2; exit 1 ;;
esac
echo "$registry_image@$digest" | tee reports/image-ref.txt

#!/usr/bin/env bash
# Release an image without rebuilding it: put the release tag on the manifest that CI already
# built, tested, pushed (under the commit's sha) and signed. Same manifest, same digest.
#   scripts/promote_image.sh REGISTRY_IMAGE COMMIT_TAG RELEASE_TAG
# Writes $IMAGE_REF_FILE (default reports/image-ref.txt) = REGISTRY_IMAGE@sha256:... — what the production deploy rolls out.
# Needs skopeo (GitHub's Ubuntu runners and the Jenkins image have it) and a registry login
# (skopeo reads docker's credentials, as docker/login-action and `docker login` write them).
set -euo pipefail

registry_image=${1:?registry image, e.g. ghcr.io/owner/lifecycle-lab}
commit_tag=${2:?the tag CI published the commit under: its full sha}
release_tag=${3:?release tag, e.g. v1.2.3}

die() {
  echo "promote: $*" >&2
  exit 1
}

# A registry on loopback speaks plain HTTP; the local loop keeps its signatures in a lookaside
# folder (registries.d), which the copy carries along. ghcr.io needs neither.
tls=${TLS_VERIFY:-true}
signatures=()
if [[ -d ${REGISTRIES_D:-} ]]; then signatures=(--registries.d "$REGISTRIES_D"); fi

digest=$(skopeo inspect --tls-verify="$tls" --format '{{.Digest}}' "docker://$registry_image:$commit_tag") ||
  die "no image $registry_image:$commit_tag: a release tag must name a commit that CI on main published (merge it to main first); nothing was released"
case "$digest" in
  sha256:*) ;;
  *) die "could not read the digest of $registry_image:$commit_tag (got '$digest')" ;;
esac

# --preserve-digests: fail rather than write a manifest whose digest differs from the tested one.
skopeo copy --quiet --all --preserve-digests "${signatures[@]}" \
  --src-tls-verify="$tls" --dest-tls-verify="$tls" \
  "docker://$registry_image@$digest" "docker://$registry_image:$release_tag"
promoted=$(skopeo inspect --tls-verify="$tls" --format '{{.Digest}}' "docker://$registry_image:$release_tag")
[ "$promoted" = "$digest" ] ||
  die "$registry_image:$release_tag points at $promoted, not at the tested $digest"

ref_file=${IMAGE_REF_FILE:-reports/image-ref.txt}
mkdir -p "$(dirname "$ref_file")"
echo "$registry_image@$digest" >"$ref_file"
echo "promote: $registry_image:$release_tag is $registry_image@$digest (no rebuild)"

#!/usr/bin/env bash
# Sign a published digest with a GPG key (skopeo, "simple signing"): the signature names the
# manifest's digest and the repository, and goes to the lookaside folder registries.d names.
# GitHub Actions signs with keyless cosign instead (make sign without SIGN_BY; docs/cicd.md).
#   scripts/sign_image.sh NAME@sha256:... FINGERPRINT
set -euo pipefail

image_ref=${1:?the image to sign, name@sha256:...}
fingerprint=${2:?the GPG key that signs (make signing-key writes build/release/signing-key.fpr)}

die() {
  echo "sign: $*" >&2
  exit 1
}

[[ $image_ref == *@sha256:* ]] || die "sign a digest, not a tag: $image_ref"
gpg --list-secret-keys "$fingerprint" >/dev/null 2>&1 ||
  die "no secret key $fingerprint in GNUPGHOME=${GNUPGHOME:-~/.gnupg}: run make signing-key (nothing was signed)"
[[ -d $REGISTRIES_D ]] ||
  die "no $REGISTRIES_D saying where signatures go: run make signing-key (nothing was signed)"

# Copying the digest onto itself uploads nothing; --sign-by adds the signature on the way.
skopeo copy --quiet --preserve-digests --registries.d "$REGISTRIES_D" \
  --src-tls-verify="$TLS_VERIFY" --dest-tls-verify="$TLS_VERIFY" \
  --sign-by "$fingerprint" "docker://$image_ref" "docker://$image_ref" ||
  die "could not sign $image_ref (is the registry up and the digest published?)"
echo "sign: $image_ref signed by $fingerprint"

#!/usr/bin/env bash
# The trust of the local release loop, made once (make signing-key):
#   - a GPG key that signs what `make publish` pushes (private half in $GNUPGHOME, never
#     committed: build/ is ignored), its fingerprint in $RELEASE_DIR/signing-key.fpr;
#   - its public half, release.pub, which is all a deploy needs;
#   - registries.d: where signatures of the local registry live (a "lookaside" folder: a
#     plain registry keeps no signatures; ghcr.io keeps cosign's beside the image instead);
#   - policy.json: what a deploy accepts. Everything is rejected, except the repository
#     REGISTRY_IMAGE, and only when signed by that key.
#   scripts/signing_key.sh 127.0.0.1:PORT/NAME
set -euo pipefail

repository=${1:?registry/name, e.g. 127.0.0.1:5050/lifecycle-lab}
dir=${RELEASE_DIR:?the release directory, e.g. build/release}
registry=${repository%%/*}
export GNUPGHOME=${GNUPGHOME:?the demo keyring, e.g. build/release/gnupg}

mkdir -p "$dir/registries.d"
mkdir -p "$GNUPGHOME"
chmod 700 "$GNUPGHOME" # gpg refuses a keyring others can read

if [[ ! -s $dir/signing-key.fpr ]]; then
  # No passphrase: a demo key for this machine only. A real one lives in a hardware token or a
  # secret store, and the pipeline gets only the right to use it.
  gpg --batch --quiet --passphrase '' \
    --quick-gen-key "Lifecycle Lab release (demo) <release@lifecycle-lab.invalid>" ed25519 sign never
  gpg --with-colons --list-secret-keys | awk -F: '/^fpr/ { print $10; exit }' >"$dir/signing-key.fpr"
fi
fingerprint=$(cat "$dir/signing-key.fpr")
gpg --armor --export "$fingerprint" >"$dir/release.pub"

cat >"$dir/registries.d/lifecycle-lab.yaml" <<YAML
# Written by scripts/signing_key.sh: signatures for $registry are files in this folder.
docker:
  $registry:
    lookaside: file://$dir/signatures
YAML

cat >"$dir/policy.json" <<JSON
{
  "default": [{ "type": "reject" }],
  "transports": {
    "docker": {
      "$repository": [
        { "type": "signedBy", "keyType": "GPGKeys", "keyPath": "$dir/release.pub" }
      ]
    }
  }
}
JSON
echo "signing-key: $fingerprint signs $repository; deploys accept only that ($dir/policy.json)"

#!/usr/bin/env bash
# Build the local Python base image when no registry can be reached. Idempotent: does
# nothing when the image already exists.
#
# The CI machine cannot pull python:3.12-slim, but it can reach Debian's apt archive. So we
# debootstrap a minimal Debian bookworm with python3 + venv + pip, add this machine's extra CA
# certificates (HTTPS to the package index passes a TLS-inspecting proxy; without them `pip`
# inside the build fails certificate checks), and import the root filesystem into podman.
#
# Environment: BASE_IMAGE (default localhost/python-base:bookworm), DEBIAN_MIRROR (default:
# the first bookworm mirror in this machine's apt sources), CONTAINER_ENGINE (default podman).
set -euo pipefail

image=${BASE_IMAGE:-localhost/python-base:bookworm}
engine=${CONTAINER_ENGINE:-podman}
suite=bookworm

if "$engine" image exists "$image" 2>/dev/null; then
  echo "base-image: $image already exists"
  exit 0
fi

# The mirror this machine's apt already uses (deb822 .sources first, then one-line lists),
# else Debian's own. Prints exactly one URL.
find_mirror() {
  local file found=""
  for file in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $file ]] || continue
    found=$(awk -v suite="$suite" '
      /^URIs:/ { uri = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) hit = 1 }
      /^$/ { if (hit && uri) { print uri; exit } uri = ""; hit = 0 }
      $1 == "deb" && $3 == suite { print $2; exit }
      END { if (hit && uri) print uri }' "$file")
    if [[ -n $found ]]; then
      echo "${found%%$'\n'*}"
      return
    fi
  done
  echo "http://deb.debian.org/debian"
}
mirror=${DEBIAN_MIRROR:-$(find_mirror)}

if [[ $(id -u) -ne 0 ]]; then
  echo "base-image: debootstrap needs root" >&2
  exit 1
fi
command -v debootstrap >/dev/null || { echo "base-image: apt-get install -y debootstrap" >&2; exit 1; }

rootfs=$(mktemp -d /var/tmp/python-base.XXXXXX)
trap 'rm -rf "$rootfs" "$rootfs.log"' EXIT

echo "base-image: debootstrap $suite from $mirror (about a minute)"
debootstrap --variant=minbase \
  --include=python3,python3-venv,python3-pip,ca-certificates \
  "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || {
  tail -n 30 "$rootfs.log" >&2
  exit 1
}
rm -f "$rootfs.log"

# Trust what this machine trusts (the TLS-inspecting proxy's CA), inside the image too.
shopt -s nullglob
extra_certs=(/usr/local/share/ca-certificates/*.crt)
if ((${#extra_certs[@]})); then
  cp "${extra_certs[@]}" "$rootfs/usr/local/share/ca-certificates/"
  # (its rehash warning about the bundle file is harmless, so only the exit code counts)
  chroot "$rootfs" update-ca-certificates >/dev/null 2>&1
fi

# Keep the base small: no package caches or lists, no docs.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*

tar -C "$rootfs" -c . | "$engine" import --quiet \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["python3"]' \
  - "$image" >/dev/null
echo "base-image: built $image ($("$engine" image inspect --format '{{.Size}}' "$image") bytes)"

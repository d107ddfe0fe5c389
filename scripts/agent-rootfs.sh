#!/usr/bin/env bash
# Build the Jenkins agent's toolchain as a Debian trixie root file system, on a machine that
# cannot pull the Jenkins image but can reach Debian's archive. Idempotent: does nothing when
# the root file system is already built.
#   scripts/agent-rootfs.sh DIR
#
# The packages are docker/jenkins/packages.txt, the list the Jenkins image installs, so what
# is proven in DIR is what the image's `sh` steps run with (tests/infra/test_jenkins_agent.py).
# Like the image: installed without recommends, this machine's extra CA certificates trusted
# (HTTPS to the package index passes a TLS-inspecting proxy), and a user jenkins (uid 1000),
# whom Jenkins runs its steps as.
#
# Environment: DEBIAN_MIRROR (default: the mirror of this machine's apt sources).
set -euo pipefail

rootfs=${1:?directory of the root file system, e.g. /var/tmp/lifecycle-lab-agent-rootfs}
suite=trixie
packages=docker/jenkins/packages.txt

# One build at a time: a second call (`make agent-toolchain` while .ci/run's early build still
# runs) waits here for the first, then finds the root file system built.
mkdir -p "$(dirname "$rootfs")"
exec 9>"$rootfs.lock"
flock 9

if [[ -f $rootfs/etc/agent-packages.txt ]] && cmp -s "$packages" "$rootfs/etc/agent-packages.txt"; then
  echo "agent-rootfs: $rootfs already holds $packages"
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "agent-rootfs: debootstrap needs root" >&2
  exit 1
fi
command -v debootstrap >/dev/null || { echo "agent-rootfs: apt-get install -y debootstrap" >&2; exit 1; }

# The first URI of this machine's deb822 apt sources (one archive serves every suite), else Debian's.
mirror=${DEBIAN_MIRROR:-$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)}
mirror=${mirror:-http://deb.debian.org/debian}

rm -rf "$rootfs"
mkdir -p "$rootfs"
echo "agent-rootfs: debootstrap $suite from $mirror, then apt-get install $packages (minutes)"
debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || {
  tail -n 30 "$rootfs.log" >&2
  exit 1
}

# The list goes in as the Dockerfile installs it: apt-get, without recommends (debootstrap's
# own --include cannot choose between alternatives such as chromium's gsettings backend).
# Package scripts want /proc; dpkg may skip its fsyncs in a tree that is thrown away on failure.
mount -t proc proc "$rootfs/proc"
trap 'umount "$rootfs/proc"' EXIT
cp "$packages" "$rootfs/tmp/packages.txt"
chroot "$rootfs" sh -c "apt-get update -qq && sed 's/#.*//' /tmp/packages.txt \
  | DEBIAN_FRONTEND=noninteractive xargs apt-get install -qq -y --no-install-recommends \
    -o Dpkg::Options::=--force-unsafe-io" >>"$rootfs.log" 2>&1 || {
  tail -n 30 "$rootfs.log" >&2
  exit 1
}
umount "$rootfs/proc"
trap - EXIT
rm -rf "$rootfs.log" "$rootfs/tmp/packages.txt" "$rootfs"/var/cache/apt/archives/*.deb

# Trust what this machine trusts (the proxy's CA), as scripts/base-image.sh does.
shopt -s nullglob
extra_certs=(/usr/local/share/ca-certificates/*.crt)
if ((${#extra_certs[@]})); then
  cp "${extra_certs[@]}" "$rootfs/usr/local/share/ca-certificates/"
  chroot "$rootfs" update-ca-certificates >/dev/null 2>&1
fi

# The user the Jenkins image runs its steps as.
chroot "$rootfs" useradd --uid 1000 --create-home --shell /bin/bash jenkins

# Written last: its presence says the build finished, its content which list it holds.
cp "$packages" "$rootfs/etc/agent-packages.txt"
echo "agent-rootfs: built $rootfs ($(du -sh "$rootfs" | cut -f1)) in ${SECONDS}s"

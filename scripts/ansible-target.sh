#!/usr/bin/env bash
# Fresh Debian "VMs" for the Ansible converge: systemd containers built from the local
# Python base image (scripts/base-image.sh). See ansible/target/Containerfile.
#
#   scripts/ansible-target.sh build            build the target image (cached by podman)
#   scripts/ansible-target.sh start NAME...    start fresh containers, wait for systemd
#   scripts/ansible-target.sh stop NAME...     remove them
#
# Environment: TARGET_IMAGE (default localhost/lifecycle-lab-ansible-target:bookworm),
# BASE_IMAGE (default localhost/python-base:bookworm), BOOT_TIMEOUT seconds (default 60).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
image=${TARGET_IMAGE:-localhost/lifecycle-lab-ansible-target:bookworm}
base=${BASE_IMAGE:-localhost/python-base:bookworm}
boot_timeout=${BOOT_TIMEOUT:-60}

build() {
  "$root/scripts/setup-podman.sh" >/dev/null
  BASE_IMAGE=$base "$root/scripts/base-image.sh"
  podman build --quiet --build-arg "BASE_IMAGE=$base" --tag "$image" \
    --file "$root/ansible/target/Containerfile" "$root/ansible/target" >/dev/null
  echo "ansible-target: image $image ready"
}

# systemd reports `running` once boot is complete (`degraded` if a unit failed, which
# would make the converge's results meaningless, so we refuse it).
wait_for_boot() {
  local name=$1 state="" waited=0
  while ((waited < boot_timeout)); do
    state=$(podman exec "$name" systemctl is-system-running 2>/dev/null || true)
    case $state in
      running) echo "ansible-target: $name booted (systemd: running) in ${waited}s"; return 0 ;;
      degraded)
        podman exec "$name" systemctl --failed --no-pager >&2 || true
        echo "ansible-target: $name booted degraded" >&2
        return 1
        ;;
    esac
    sleep 1
    waited=$((waited + 1))
  done
  echo "ansible-target: $name did not boot within ${boot_timeout}s (state: ${state:-none})" >&2
  return 1
}

start() {
  local name
  for name in "$@"; do
    podman rm --force --ignore "$name" >/dev/null
    # --systemd=always: podman mounts the cgroup, /run and /tmp the way systemd needs them.
    podman run --detach --name "$name" --hostname "$name" --systemd=always "$image" >/dev/null
  done
  for name in "$@"; do
    wait_for_boot "$name"
  done
}

stop() {
  local name
  for name in "$@"; do
    podman rm --force --ignore --time 0 "$name" >/dev/null
  done
}

command=${1:-}
shift || true
case $command in
  build) build ;;
  start) start "$@" ;;
  stop) stop "$@" ;;
  *)
    echo "usage: $0 build | start NAME... | stop NAME..." >&2
    exit 2
    ;;
esac

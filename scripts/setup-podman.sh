#!/usr/bin/env bash
# Make podman usable on the CI machine (Debian 12, no Docker engine). Idempotent.
#
# Two machine quirks (see docs/containers.md):
#   - crun rejects this machine's hybrid cgroups, so the OCI runtime must be runc;
#   - podman's default container ulimits exceed the machine's hard limits, so a container
#     would fail to start; we cap them below the hard limits of this shell.
# Both go into a drop-in file of our own, so an existing containers.conf is left alone.
set -euo pipefail

if [[ $(id -u) -eq 0 ]]; then
  conf_dir=/etc/containers/containers.conf.d
else
  conf_dir="${XDG_CONFIG_HOME:-$HOME/.config}/containers/containers.conf.d"
fi
conf_file="$conf_dir/50-lifecycle-lab.conf"

command -v podman >/dev/null || { echo "podman is not installed (apt-get install -y podman runc)" >&2; exit 1; }
command -v runc >/dev/null || { echo "runc is not installed (apt-get install -y runc)" >&2; exit 1; }

# A ulimit no higher than the hard limit of this shell, and no higher than `wanted`.
capped() {
  local hard=$1 wanted=$2
  if [[ $hard == unlimited ]] || ((hard > wanted)); then echo "$wanted"; else echo "$hard"; fi
}
nofile=$(capped "$(ulimit -Hn)" 20000)
nproc=$(capped "$(ulimit -Hu)" 32768)

wanted_conf=$(
  cat <<CONF
# Written by scripts/setup-podman.sh (Lifecycle Lab): machine quirks, see docs/containers.md.
[containers]
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]

[engine]
runtime = "runc"
CONF
)

if [[ -f $conf_file ]] && [[ "$(cat "$conf_file")" == "$wanted_conf" ]]; then
  echo "setup-podman: $conf_file is already up to date"
else
  mkdir -p "$conf_dir"
  printf '%s\n' "$wanted_conf" >"$conf_file"
  echo "setup-podman: wrote $conf_file"
fi

runtime=$(podman info --format '{{.Host.OCIRuntime.Name}}')
if [[ $runtime != runc ]]; then
  echo "setup-podman: podman still uses '$runtime', not runc — is $conf_file read?" >&2
  exit 1
fi
echo "setup-podman: podman $(podman --version | awk '{print $3}') with runtime $runtime"

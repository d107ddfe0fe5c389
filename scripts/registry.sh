#!/usr/bin/env bash
# A real OCI registry on this machine: Debian's docker-registry (the CNCF distribution
# registry), on loopback only, its data under $REGISTRY_DIR. No systemd: started in the
# background and stopped by the PID it wrote.
#   scripts/registry.sh up|down 127.0.0.1:PORT   (make registry-up / registry-down)
set -euo pipefail

action=${1:?up or down}
address=${2:?127.0.0.1:PORT}
dir=${REGISTRY_DIR:?the registry directory, e.g. build/registry}
pid_file=$dir/registry.pid

die() {
  echo "registry: $*" >&2
  exit 1
}
running() { [[ -f $pid_file ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; }
answers() { curl -fsS --max-time 2 "http://$address/v2/" >/dev/null 2>&1; }

case $action in
  up)
    command -v docker-registry >/dev/null ||
      die "docker-registry is not installed (apt-get install docker-registry; make system-deps-podman)"
    if running; then
      echo "registry: already running on $address (pid $(cat "$pid_file"))"
      exit 0
    fi
    # Something else listens there: say so, rather than a bind error in a log.
    if (exec 3<>"/dev/tcp/${address%:*}/${address##*:}") 2>/dev/null; then
      die "$address is taken by another program: stop it, or choose another port (make registry-up REGISTRY_PORT=5051)"
    fi
    mkdir -p "$dir/data"
    cat >"$dir/config.yml" <<CONFIG
# Written by scripts/registry.sh (make registry-up).
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: $address
CONFIG
    # setsid: the registry outlives this make call, in a process group of its own.
    setsid docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 </dev/null &
    echo $! >"$pid_file"
    for _ in $(seq 50); do
      if answers; then
        echo "registry: http://$address/v2/ answers (pid $(cat "$pid_file"), data in $dir/data)"
        exit 0
      fi
      running || break
      sleep 0.2
    done
    tail -n 20 "$dir/registry.log" >&2
    die "the registry did not answer on $address (log: $dir/registry.log)"
    ;;
  down)
    if ! running; then
      rm -f "$pid_file"
      echo "registry: not running"
      exit 0
    fi
    pid=$(cat "$pid_file")
    kill "$pid"
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -0 "$pid" 2>/dev/null && die "pid $pid did not stop on SIGTERM"
    rm -f "$pid_file"
    echo "registry: stopped (pid $pid); its data stays in $dir/data"
    ;;
  *) die "unknown action '$action' (up or down)" ;;
esac

#!/usr/bin/env bash
# make kind-down: stop the port-forwards kind-up started and delete the kind cluster.
# Safe to run twice, and when kind-up never ran.
set -euo pipefail

CLUSTER="${KIND_CLUSTER:-lifecycle-lab}"
STATE_DIR="${KIND_STATE_DIR:-build/kind}" # where kind-up.sh recorded its port-forwards

cd "$(dirname "$0")/.."

for pid_file in "$STATE_DIR"/*.pid; do
    [[ -f "$pid_file" ]] || continue
    pid="$(cat "$pid_file")"
    # Only the kubectl port-forward kind-up recorded: a stale pid may belong to anything now.
    if ps -p "$pid" -o args= 2>/dev/null | grep -q "port-forward"; then
        kill "$pid"
        echo "kind-down: stopped $(basename "$pid_file" .pid) port-forward (pid $pid)"
    fi
    rm -f "$pid_file"
done

if ! command -v kind >/dev/null 2>&1; then
    echo "kind-down: kind is not installed; no cluster to delete"
    exit 0
fi
if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
    kind delete cluster --name "$CLUSTER"
else
    echo "kind-down: no kind cluster named '$CLUSTER'"
fi

#!/usr/bin/env bash
# make kind-up: the dev overlay and the monitoring stack on a local kind cluster, one command.
#
#   1. create the kind cluster (k8s/kind/cluster.yaml) unless it exists
#   2. build the image with `make image` and load it into the cluster's nodes
#   3. kubectl apply -k k8s/kind (dev overlay + Prometheus, Alertmanager, Grafana)
#   4. wait for every rollout, then port-forward the app, Grafana and Prometheus to localhost
#
# Needs docker, kind and kubectl. Every kubectl call names the kind context, so the
# student's other clusters are never touched. Run it again to redeploy after a change.
set -euo pipefail

CLUSTER="${KIND_CLUSTER:-lifecycle-lab}"
CONTEXT="kind-${CLUSTER}"
NAMESPACE="lifecycle-lab-dev"
MONITORING_NAMESPACE="monitoring"
TAG="dev" # the tag k8s/overlays/dev pins through kustomize `images`
APP_PORT="${APP_PORT:-8080}"
GRAFANA_PORT="${GRAFANA_PORT:-3000}"
PROMETHEUS_PORT="${PROMETHEUS_PORT:-9090}"
ROLLOUT_TIMEOUT="${ROLLOUT_TIMEOUT:-300s}"
STATE_DIR="${KIND_STATE_DIR:-build/kind}" # port-forward pids and logs; kind-down.sh reads them

cd "$(dirname "$0")/.."

say() { printf '\033[1mkind-up:\033[0m %s\n' "$*"; }
die() {
    printf 'kind-up: %s\n' "$*" >&2
    exit 1
}

require() {
    command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed. $2"
}

require docker "Install Docker: https://docs.docker.com/get-docker/"
require kind "Install kind: https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
require kubectl "Install kubectl: https://kubernetes.io/docs/tasks/tools/"
require curl "Install curl with your package manager."
docker info >/dev/null 2>&1 ||
    die "docker is installed but its engine does not answer: start Docker (or add yourself to the docker group)"

k() { kubectl --context "$CONTEXT" "$@"; }

if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
    say "cluster '$CLUSTER' exists; reusing it"
else
    say "creating cluster '$CLUSTER' (a minute or two)"
    kind create cluster --name "$CLUSTER" --config k8s/kind/cluster.yaml --wait 120s
fi

image="$(make -s print-image):${TAG}"
say "building ${image}"
make image CONTAINER_ENGINE=docker TAG="$TAG"
say "loading ${image} into the cluster's nodes"
kind load docker-image "$image" --name "$CLUSTER"

# The tag stays `dev` from build to build, so a running Deployment must be told to restart
# to pick up the newly loaded image (imagePullPolicy IfNotPresent finds it on the node).
existed=false
k -n "$NAMESPACE" get deployment/lifecycle-lab >/dev/null 2>&1 && existed=true

say "applying k8s/kind (dev overlay + monitoring)"
# Server-side apply: no last-applied annotation, whose 256 KiB cap large dashboards would break;
# --force-conflicts: this script is the one owner of the demo, also of fields kubectl set.
k apply --server-side --force-conflicts -k k8s/kind
if [[ "$existed" == true ]]; then
    k -n "$NAMESPACE" rollout restart deployment/lifecycle-lab
fi

say "waiting for the rollouts (up to ${ROLLOUT_TIMEOUT} each)"
k -n "$NAMESPACE" rollout status deployment/lifecycle-lab --timeout "$ROLLOUT_TIMEOUT"
for deployment in $(k -n "$MONITORING_NAMESPACE" get deployments -o name); do
    k -n "$MONITORING_NAMESPACE" rollout status "$deployment" --timeout "$ROLLOUT_TIMEOUT"
done

# Port-forwards run in the background and outlive this script; kind-down stops them.
mkdir -p "$STATE_DIR"
stop_forward() { # name — only if the recorded pid is still our kubectl port-forward
    local pid_file="${STATE_DIR}/$1.pid" pid
    [[ -f "$pid_file" ]] || return 0
    pid="$(cat "$pid_file")"
    if ps -p "$pid" -o args= 2>/dev/null | grep -q "port-forward"; then
        kill "$pid"
    fi
    rm -f "$pid_file"
}
forward() { # name namespace service local_port service_port
    local pid_file="${STATE_DIR}/$1.pid"
    stop_forward "$1"
    nohup kubectl --context "$CONTEXT" -n "$2" port-forward --address 127.0.0.1 \
        "service/$3" "$4:$5" >"${STATE_DIR}/$1.log" 2>&1 &
    echo $! >"$pid_file"
}
forward app "$NAMESPACE" lifecycle-lab "$APP_PORT" 80
forward grafana "$MONITORING_NAMESPACE" grafana "$GRAFANA_PORT" 3000
forward prometheus "$MONITORING_NAMESPACE" prometheus "$PROMETHEUS_PORT" 9090

# Plain `kubectl` (and `make k8s-smoke`) should mean this cluster from now on, as after
# `kind create cluster` — also when an existing cluster was reused.
kubectl config use-context "$CONTEXT" >/dev/null

for _ in $(seq 1 30); do
    curl -fsS "http://127.0.0.1:${APP_PORT}/readyz" >/dev/null 2>&1 && break
    sleep 1
done
curl -fsS "http://127.0.0.1:${APP_PORT}/readyz" >/dev/null ||
    die "the app does not answer on 127.0.0.1:${APP_PORT} (see ${STATE_DIR}/app.log)"

cat <<EOF

  Lifecycle Lab is running on kind (kubectl context ${CONTEXT}, namespace ${NAMESPACE}).

    app         http://127.0.0.1:${APP_PORT}/          (try /readyz, /metrics, /chaos)
    Grafana     http://127.0.0.1:${GRAFANA_PORT}/      (dashboards under "Lifecycle Lab")
    Prometheus  http://127.0.0.1:${PROMETHEUS_PORT}/targets

  Check it as a user would:  make k8s-smoke
  Look around:               kubectl --context ${CONTEXT} -n ${NAMESPACE} get pods -o wide
  Tear it all down:          make kind-down

EOF

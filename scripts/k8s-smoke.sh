#!/usr/bin/env bash
# make k8s-smoke [OVERLAY=dev] [NAMESPACE=...] [KUBE_CONTEXT=...]: check a deployed overlay
# as a user would, through the Kubernetes API and port-forwards only:
#
#   1. the Deployment's rollout is complete and every replica is ready
#   2. GET /readyz answers 200 through the Service
#   3. POST /api/v1/predict with a row of data/wine.csv answers a prediction from the
#      model version models/index.json names active
#   4. Prometheus (namespace $PROMETHEUS_NAMESPACE) scrapes every pod of the app: target
#      health "up", and it has counted the prediction just made
#
# PROMETHEUS_NAMESPACE= (empty) skips step 4 and says so, for clusters without our monitoring.
set -euo pipefail

OVERLAY="${OVERLAY:-dev}"
NAMESPACE="${NAMESPACE:-lifecycle-lab-${OVERLAY}}"
PROMETHEUS_NAMESPACE="${PROMETHEUS_NAMESPACE-monitoring}"
KUBE_CONTEXT="${KUBE_CONTEXT:-$(kubectl config current-context)}"
DEPLOYMENT="lifecycle-lab"
JOB="lifecycle-lab" # the Prometheus job name of the app (monitoring/prometheus/prometheus-k8s.yml)
WAIT_SECONDS="${WAIT_SECONDS:-120}"

cd "$(dirname "$0")/.."

step() { printf '\033[1mk8s-smoke [%s]:\033[0m %s\n' "$NAMESPACE" "$*"; }
fail() {
    printf 'k8s-smoke [%s]: FAILED: %s\n' "$NAMESPACE" "$*" >&2
    exit 1
}
k() { kubectl --context "$KUBE_CONTEXT" "$@"; }

for tool in kubectl curl python3; do
    command -v "$tool" >/dev/null 2>&1 || fail "'$tool' is not installed"
done

# Port-forwards this script starts, stopped on every exit path.
forward_pids=()
forward_logs=()
cleanup() {
    for pid in "${forward_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for log in "${forward_logs[@]}"; do rm -f "$log"; done
}
trap cleanup EXIT

# forward NAMESPACE SERVICE PORT: sets FORWARDED_PORT to the local port kubectl picked.
# (Not called in $(...): a subshell would lose the pid that cleanup must stop.)
forward() {
    local log
    log="$(mktemp)"
    forward_logs+=("$log")
    k -n "$1" port-forward --address 127.0.0.1 "service/$2" ":$3" >"$log" 2>&1 &
    forward_pids+=("$!")
    for _ in $(seq 1 50); do
        local port
        port="$(sed -n 's/^Forwarding from 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$log" | head -n 1)"
        if [[ -n "$port" ]]; then
            FORWARDED_PORT="$port"
            return 0
        fi
        sleep 0.2
    done
    fail "port-forward to $1/$2 did not start: $(cat "$log")"
}

# 1. rollout
step "rollout of deployment/${DEPLOYMENT} (context ${KUBE_CONTEXT})"
k -n "$NAMESPACE" rollout status "deployment/${DEPLOYMENT}" --timeout "${WAIT_SECONDS}s" ||
    fail "rollout incomplete"
read -r wanted ready < <(k -n "$NAMESPACE" get "deployment/${DEPLOYMENT}" \
    -o jsonpath='{.spec.replicas} {.status.readyReplicas}{"\n"}')
[[ "$ready" == "$wanted" ]] || fail "${ready:-0} of ${wanted} replicas ready"
step "ok: ${ready}/${wanted} replicas ready"

# 2. readiness through the Service
forward "$NAMESPACE" "$DEPLOYMENT" 80
app="http://127.0.0.1:${FORWARDED_PORT}"
body="$(curl -fsS --max-time 10 "${app}/readyz")" || fail "GET /readyz did not answer 200"
step "ok: GET /readyz -> ${body}"

# 3. a prediction, from the active model version
request="$(python3 - <<'PY'
import csv, json
with open("data/wine.csv", newline="") as rows:
    row = next(csv.DictReader(rows))
row.pop("label")
print(json.dumps({"features": {name: float(value) for name, value in row.items()}}))
PY
)"
answer="$(curl -fsS --max-time 10 -H 'Content-Type: application/json' -d "$request" \
    "${app}/api/v1/predict")" || fail "POST /api/v1/predict did not answer 200"
ANSWER="$answer" python3 - <<'PY' || fail "unexpected prediction: ${answer}"
import json, os
answer = json.loads(os.environ["ANSWER"])
active = json.load(open("models/index.json"))["active"]
assert answer["prediction"] in answer["probabilities"], "prediction is not one of the classes"
assert answer["model_version"] == active, f"serves {answer['model_version']}, registry says {active}"
PY
step "ok: POST /api/v1/predict -> ${answer}"

# 4. Prometheus scrapes the app and counted the prediction
if [[ -z "$PROMETHEUS_NAMESPACE" ]]; then
    step "SKIPPED: Prometheus check (PROMETHEUS_NAMESPACE is empty)"
    exit 0
fi
forward "$PROMETHEUS_NAMESPACE" prometheus 9090
prom="http://127.0.0.1:${FORWARDED_PORT}"
step "waiting up to ${WAIT_SECONDS}s for Prometheus to scrape every pod and count the prediction"
# Prints what Prometheus sees; succeeds once every pod is up and the prediction is counted.
prometheus_verdict() {
    local targets counted
    targets="$(curl -fsS --max-time 10 "${prom}/api/v1/targets?state=active" || true)"
    counted="$(curl -fsS --max-time 10 "${prom}/api/v1/query" --data-urlencode \
        "query=sum(model_predictions_total{job=\"${JOB}\",namespace=\"${NAMESPACE}\"})" || true)"
    TARGETS="$targets" COUNTED="$counted" WANTED="$wanted" JOB="$JOB" NAMESPACE="$NAMESPACE" \
        python3 -c '
import json, os, sys
job, namespace, wanted = os.environ["JOB"], os.environ["NAMESPACE"], int(os.environ["WANTED"])
try:
    targets = json.loads(os.environ["TARGETS"])["data"]["activeTargets"]
    counted = json.loads(os.environ["COUNTED"])["data"]["result"]
except (ValueError, KeyError):
    sys.exit("Prometheus API not answering yet")
ours = [t for t in targets
        if t["labels"].get("job") == job and t["labels"].get("namespace") == namespace]
up = [t for t in ours if t["health"] == "up"]
if len(up) < wanted:
    errors = [t.get("lastError") for t in ours if t["health"] != "up"]
    sys.exit(f"{len(up)} of {wanted} pods up as job {job} (errors: {errors})")
predictions = float(counted[0]["value"][1]) if counted else 0.0
if predictions < 1:
    sys.exit("targets up; the prediction is not counted yet")
print(f"{len(up)} targets up, model_predictions_total = {predictions:g}")
' 2>&1
}

deadline=$((SECONDS + WAIT_SECONDS))
while ! verdict="$(prometheus_verdict)"; do
    ((SECONDS < deadline)) || fail "Prometheus: ${verdict}"
    sleep 5
done
step "ok: Prometheus: ${verdict}"
step "PASSED"

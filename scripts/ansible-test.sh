#!/usr/bin/env bash
# The real test of the VM deployment path (make ansible-test; run `make wheel` first):
#   1. start two fresh Debian "VMs" (systemd containers, scripts/ansible-target.sh);
#   2. converge them with ansible/playbooks/deploy.yml, one host at a time (at HEAD~2:
#      its sha and commit time, HEAD's wheel);
#   3. converge again: every host must report changed=0 (idempotence);
#   4. on each host, through nginx: /readyz 200, a prediction, the request id passed on,
#      /metrics; gunicorn running as the unprivileged user; the unit's hardening in force;
#   5. a broken deploy of HEAD on the first host must stop the rollout before the second
#      host, and must have told the app the commit HEAD brings since HEAD~2 (GIT_CHANGES).
# Logs go to reports/ansible/. The containers are removed at the end, whatever happens.
#
# Environment: KEEP_TARGETS=1 keeps the containers for a look around
# (podman exec -it lifecycle-lab-target-1 bash); ANSIBLE_EXTRA_ARGS is added to every run.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export ANSIBLE_CONFIG=$root/ansible/ansible.cfg ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0
hosts=(lifecycle-lab-target-1 lifecycle-lab-target-2)
inventory=ansible/inventories/test
playbook=ansible/playbooks/deploy.yml
logs=reports/ansible
mkdir -p "$logs"
started=$SECONDS

step() { printf '\n== ansible-test [%3ss] %s\n' "$((SECONDS - started))" "$*"; }
fail() { echo "ansible-test: FAIL: $*" >&2; exit 1; }

cleanup() {
  if [[ ${KEEP_TARGETS:-0} == 1 ]]; then
    echo "ansible-test: keeping ${hosts[*]} (KEEP_TARGETS=1)"
  else
    scripts/ansible-target.sh stop "${hosts[@]}"
  fi
}
trap cleanup EXIT

git_sha=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git_commit_time=$(git log -1 --format=%cI 2>/dev/null || echo unknown)
# The commit the hosts run first (metadata only: the wheel is HEAD's), and what the deploy of
# HEAD in step 5 brings beyond itself since then: the role must find the same range.
older_sha=$(git rev-parse --short HEAD~2)
older_commit_time=$(git log -1 --format=%cI "$older_sha")
older=(-e "app_service_git_sha=$older_sha" -e "app_service_git_commit_time=$older_commit_time")
expected_changes=$(git log --format=%H=%cI "$older_sha..HEAD" | tail -n +2 | paste -sd ' ')
# shellcheck disable=SC2206 # word splitting of the extra arguments is intended
extra=(${ANSIBLE_EXTRA_ARGS:-})

converge() { # converge LOG [ansible-playbook args...]; the exit code is the playbook's
  local log=$1
  shift
  ansible-playbook -i "$inventory" "$playbook" -e "app_service_git_sha=$git_sha" \
    -e "app_service_git_commit_time=$git_commit_time" \
    "${extra[@]}" "$@" >"$log" 2>&1
}

# "host : ok=N changed=N unreachable=N failed=N ..." lines of the PLAY RECAP, as
# "host changed unreachable failed".
recap() {
  awk '/^PLAY RECAP/ { on = 1; next }
       on && / : ok=/ { n = split($0, f, /[ =]+/); host = $1
         for (i = 3; i < n; i += 2) v[f[i]] = f[i + 1]
         print host, v["changed"], v["unreachable"], v["failed"] }' "$1"
}

step "build the target image and start ${#hosts[@]} fresh hosts"
scripts/ansible-target.sh build
scripts/ansible-target.sh start "${hosts[@]}"

step "converge at $older_sha (log: $logs/converge.log)"
converge "$logs/converge.log" "${older[@]}" ||
  { tail -n 40 "$logs/converge.log"; fail "the first converge failed"; }
recap "$logs/converge.log"
main_pids() {
  local host
  for host in "${hosts[@]}"; do podman exec "$host" systemctl show --value -p MainPID lifecycle-lab; done
}
pids_before=$(main_pids)

step "converge again: nothing may change (log: $logs/idempotence.log)"
converge "$logs/idempotence.log" "${older[@]}" || { tail -n 40 "$logs/idempotence.log"; fail "the second converge failed"; }
recap "$logs/idempotence.log"
[[ $(recap "$logs/idempotence.log" | wc -l) -eq ${#hosts[@]} ]] || fail "the recap does not list every host"
recap "$logs/idempotence.log" | awk '$2 != 0 || $3 != 0 || $4 != 0 { bad = 1 } END { exit bad }' || {
  grep -B 2 -E '^changed:' "$logs/idempotence.log" >&2 || true
  fail "the second converge was not idempotent (changed must be 0 on every host)"
}
[[ $(main_pids) == "$pids_before" ]] || fail "the second converge restarted the service"
echo "idempotent: changed=0 on ${#hosts[@]} hosts, no restart (same main PIDs)"

# A predict body: the first row of the committed dataset, as the app's feature names.
sample=$(python3 -c '
import csv, json
row = next(csv.DictReader(open("data/wine.csv")))
print(json.dumps({"features": {k: float(v) for k, v in row.items() if k != "label"}}))')

for host in "${hosts[@]}"; do
  step "verify $host through nginx, as the service account, with the unit's hardening"
  podman exec -i "$host" python3 - "$sample" <<'PY'
import json
import pathlib
import re
import subprocess
import sys
import urllib.request

sample = sys.argv[1]
proxy = "http://127.0.0.1"  # nginx on port 80; gunicorn itself listens on loopback only


def call(method, path, body=None, headers=None):
    request = urllib.request.Request(proxy + path, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message)
    if not condition:
        sys.exit(1)


status, _, _ = call("GET", "/readyz")
check(status == 200, "GET /readyz through nginx answers 200")

status, headers, body = call(
    "POST", "/api/v1/predict", sample.encode(),
    {"Content-Type": "application/json", "X-Request-ID": "ansible-test-42"})
answer = json.loads(body)
check(status == 200 and answer["prediction"] in answer["probabilities"],
      f"POST /api/v1/predict through nginx: {answer['prediction']} (model {answer['model_version']})")
check(headers.get("X-Request-ID") == "ansible-test-42" == answer["request_id"],
      "the caller's X-Request-ID passes through nginx to the app and back")

status, _, body = call("GET", "/metrics")
check(status == 200 and b"http_requests_total" in body, "GET /metrics from loopback is allowed")

env = dict(line.split("=", 1) for line in pathlib.Path("/etc/lifecycle-lab/env").read_text().splitlines()
           if line and not line.startswith("#"))
check(env["APP_ENV"] == "production" and env["CHAOS_ENABLED"] == "false",
      "environment file: APP_ENV=production, CHAOS_ENABLED=false")
try:
    call("GET", "/chaos")
    check(False, "chaos endpoints are off in production")
except urllib.error.HTTPError as error:
    check(error.code == 404, "chaos endpoints are off in production (404)")


def show(prop):
    return subprocess.run(["systemctl", "show", "--value", "-p", prop, "lifecycle-lab"],
                          capture_output=True, text=True, check=True).stdout.strip()


def children(pid):
    return [int(p) for p in pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


main_pid = int(show("MainPID"))  # python -m app -> the gunicorn master -> its workers
masters = children(main_pid)
pids = [main_pid, *masters, *(worker for master in masters for worker in children(master))]
users = set()
for pid in pids:
    uid = int(next(line.split()[1] for line in pathlib.Path(f"/proc/{pid}/status").read_text()
                   .splitlines() if line.startswith("Uid:")))
    users.add(subprocess.run(["id", "-nu", str(uid)], capture_output=True, text=True).stdout.strip())
check(users == {"lifecycle-lab"} and len(pids) == 2 + int(env["WEB_CONCURRENCY"]),
      f"python -m app, gunicorn master + {len(pids) - 2} workers all run as {sorted(users)}")
shell = next(l for l in pathlib.Path("/etc/passwd").read_text().splitlines()
             if l.startswith("lifecycle-lab:")).split(":")[6]
check(shell == "/usr/sbin/nologin", "the service account has no login shell")

check(show("NoNewPrivileges") == "yes" and show("ProtectSystem") == "strict"
      and show("PrivateTmp") == "yes" and show("ProtectHome") == "yes"
      and show("CapabilityBoundingSet") == "" and show("DynamicUser") == "no",
      "unit: NoNewPrivileges, ProtectSystem=strict, PrivateTmp, ProtectHome, no capabilities")


def seconds(text):  # systemd's "1min 35s" -> 95
    units = {"min": 60, "s": 1, "ms": 0.001}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)(min|ms|s)", text))


stop = seconds(show("TimeoutStopUSec"))
budget = int(env["DRAIN_SECONDS"]) + int(env["GRACEFUL_TIMEOUT"])
check(stop > budget, f"unit: TimeoutStopSec {stop}s > DRAIN_SECONDS + GRACEFUL_TIMEOUT = {budget}s")
check(show("KillMode") == "mixed" and show("KillSignal") == "15",
      "unit: SIGTERM to python -m app only (KillMode=mixed), so the drain runs")
exposure = subprocess.run(["systemd-analyze", "security", "--no-pager", "lifecycle-lab"],
                          capture_output=True, text=True).stdout.strip().splitlines()[-1]
print("info " + exposure)
PY
done

step "a broken deploy on the first host stops the rollout (log: $logs/rollout-stop.log)"
# The change for every host: HEAD (the hosts ran HEAD~2) and LOG_LEVEL=WARNING. The break, on
# the first host only: a model directory that does not exist, so that host never becomes ready.
override=$(mktemp --suffix=.yml)
trap 'rm -f "$override"; cleanup' EXIT
printf 'all:\n  hosts:\n    %s:\n      app_service_extra_env: {MODEL_DIR: /nonexistent}\n' \
  "${hosts[0]}" >"$override"
if converge "$logs/rollout-stop.log" -i "$override" -e app_service_log_level=WARNING \
  -e deploy_readiness_retries=5; then
  fail "a deploy whose first host never becomes ready succeeded"
fi
recap "$logs/rollout-stop.log"
recap "$logs/rollout-stop.log" | grep -q "^${hosts[0]} .* 1$" || fail "${hosts[0]} did not fail"
if recap "$logs/rollout-stop.log" | grep -q "^${hosts[1]} "; then
  fail "the rollout went on to ${hosts[1]} after ${hosts[0]} failed"
fi
podman exec "${hosts[1]}" grep -qx LOG_LEVEL=INFO /etc/lifecycle-lab/env ||
  fail "${hosts[1]} was changed although the rollout should have stopped"
echo "ok   ${hosts[0]} failed its readiness check; ${hosts[1]} was not touched (still LOG_LEVEL=INFO)"
changes=$(podman exec "${hosts[0]}" sed -n 's/^GIT_CHANGES=//p' /etc/lifecycle-lab/env)
[[ $changes == "$expected_changes" ]] ||
  fail "${hosts[0]}: GIT_CHANGES is '$changes', not the commits since $older_sha: '$expected_changes'"
echo "ok   ${hosts[0]} was told the $(wc -w <<<"$changes") commit(s) $git_sha brings since $older_sha (GIT_CHANGES)"

step "done in $((SECONDS - started))s"

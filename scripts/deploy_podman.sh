#!/usr/bin/env bash
# Deploy a signed digest to podman on this machine, health-gated (make deploy-podman):
#   1. skopeo copies NAME@sha256:... from the registry into podman's storage under
#      $POLICY: an unsigned image, one signed by another key, a digest the registry does not
#      have or a policy that does not parse stop the deploy here, before anything runs;
#   2. the new release starts beside the running one, on a port of its own, and gets
#      $READY_TIMEOUT seconds to answer /readyz;
#   3. ready: it becomes the environment (label $DEPLOY_NAME-ENV) and the previous container
#      is stopped (SIGTERM: it drains, docs/service.md); not ready: the new container is
#      removed and the previous one, which never stopped serving, stays. Either way it says so.
# Blue/green on one host: the environment's address is the URL `status` prints (a load
# balancer or DNS name would follow it; on Kubernetes the Service does, k8s/). Prometheus
# follows it too: every deploy writes the environment's scrape target to
# $RELEASE_DIR/targets/, which monitoring/prometheus/prometheus.yml reads (file_sd_configs).
#   scripts/deploy_podman.sh deploy ENV NAME@sha256:...
#   scripts/deploy_podman.sh status ENV      (make deployed: name@digest and URL)
#   scripts/deploy_podman.sh remove ENV      (make undeploy-podman)
set -euo pipefail

action=${1:?deploy, status or remove}
environment=${2:?the environment, e.g. staging}
namespace="${DEPLOY_NAME:?}-$environment" # as the Kubernetes namespaces are named (k8s/overlays)
label="lifecycle-lab.environment=$namespace"
# The environment's scrape target for Prometheus, with the namespace label that the DORA rules
# and the Delivery dashboard group environments by.
target_file="${RELEASE_DIR:?}/targets/$namespace.json"

die() {
  echo "deploy-podman: $*" >&2
  exit 1
}

# The running container of the environment (at most one), and what it runs.
current() { podman ps --filter "label=$label" --format '{{.Names}}' | head -n 1; }
image_of() { podman inspect --format '{{index .Config.Labels "lifecycle-lab.image"}}' "$1"; }
url_of() { echo "http://$(podman port "$1" 8000)"; }
publish_target() { # publish_target URL: write it atomically (Prometheus may read at any time)
  mkdir -p "${target_file%/*}"
  printf '[{"targets": ["%s"], "labels": {"namespace": "%s"}}]\n' "${1#http://}" "$namespace" \
    >"$target_file.new"
  mv "$target_file.new" "$target_file"
}
describe() {
  local name
  name=$(current)
  if [[ -n $name ]]; then echo "$(image_of "$name") at $(url_of "$name")"; else echo "nothing"; fi
}

case $action in
  status)
    name=$(current)
    [[ -n $name ]] || die "$environment: nothing deployed"
    echo "$(image_of "$name") $(url_of "$name")"
    exit 0
    ;;
  remove)
    for name in $(podman ps -a --filter "label=$label" --format '{{.Names}}'); do
      podman rm --force --time 30 "$name" >/dev/null
      echo "deploy-podman: removed $name"
    done
    rm -f "$target_file"
    exit 0
    ;;
  deploy) ;;
  *) die "unknown action '$action' (deploy, status or remove)" ;;
esac

image_ref=${3:?the image to deploy, name@sha256:...}
[[ $image_ref == *@sha256:* ]] || die "deploy a digest, never a tag: $image_ref"
before=$(describe)
untouched="$environment still runs $before"

# 1. Verify and fetch under the policy. skopeo says why it refuses; we add what stays running.
[[ -f $POLICY ]] || die "no policy $POLICY (make signing-key writes it); $untouched"
if ! output=$(skopeo --policy "$POLICY" copy --quiet --registries.d "$REGISTRIES_D" \
  --src-tls-verify="$TLS_VERIFY" "docker://$image_ref" "containers-storage:$image_ref" 2>&1); then
  die "refused $image_ref: ${output##*msg=}; $untouched"
fi

# 2. Start the new release beside the old one (hardened as docs/containers.md runs it).
# Named after its digest, so a second deploy of the same digest finds it.
digest=${image_ref##*@sha256:}
name="$DEPLOY_NAME-$environment-${digest:0:12}"
if [[ $(current) == "$name" ]]; then
  publish_target "$(url_of "$name")"
  echo "deploy-podman: $environment already runs $image_ref at $(url_of "$name")"
  exit 0
fi
podman rm --force --time 0 "$name" >/dev/null 2>&1 || true # a leftover of an earlier attempt

# The commits this deployment brings beyond its own, since the one it replaces, each with
# its time: the app exposes them so that lead time counts every change of a batch (DORA).
# A range git cannot resolve (no checkout here, a rebased history) brings none.
revision() { podman inspect --format '{{index .Config.Labels "org.opencontainers.image.revision"}}' "$1"; }
changes=""
running=$(current)
if [[ -n $running ]] &&
  log=$(git log --format='%H=%cI' "$(revision "$running")..$(revision "$image_ref")" 2>/dev/null); then
  changes=$(tail -n +2 <<<"$log" | tr '\n' ' ') # the first line is the build's own commit
fi
# --no-healthcheck: podman would run the image's HEALTHCHECK from systemd timers; the gate
# below asks /readyz itself.
podman run --detach --pull=never --name "$name" \
  --label "$label" --label "lifecycle-lab.image=$image_ref" \
  --read-only --tmpfs /tmp:rw,nosuid,nodev,size=64m --cap-drop ALL \
  --security-opt no-new-privileges --no-healthcheck \
  --env APP_ENV="$environment" --env GIT_CHANGES="$changes" \
  --publish 127.0.0.1::8000 "$image_ref" >/dev/null
url=$(url_of "$name")

# 3. The gate: ready in time, or rolled back.
started=$SECONDS
until curl -fsS --max-time 2 "$url/readyz" >/dev/null 2>&1; do
  if ((SECONDS - started >= READY_TIMEOUT)) ||
    [[ $(podman inspect --format '{{.State.Running}}' "$name") != true ]]; then
    podman logs --tail 5 "$name" >&2 || true
    podman rm --force --time 0 "$name" >/dev/null
    die "$image_ref was not ready within ${READY_TIMEOUT}s: rolled back, $untouched"
  fi
  sleep 1
done

# Ready: Prometheus scrapes the new release from now on (a release the gate refused never
# served, so it is no deployment in the DORA series), then the old one stops.
publish_target "$url"
previous=$(podman ps --filter "label=$label" --format '{{.Names}}' | grep -vx "$name" || true)
for old in $previous; do
  podman stop --time 30 "$old" >/dev/null # SIGTERM: the old release drains, then exits
  podman rm "$old" >/dev/null
done
echo "deploy-podman: $environment runs $image_ref at $url, ready in $((SECONDS - started))s (was $before)"

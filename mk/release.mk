# The release loop on one machine: a real OCI registry (Debian's docker-registry), a GPG key
# that signs what is published (skopeo, simple signing), and a deploy to podman that enforces
# a signature policy and gates on readiness. publish, sign and promote-image (mk/ci.mk) are the
# very targets GitHub Actions and Jenkins call; here REGISTRY_IMAGE points at the local
# registry instead of ghcr.io. Details: docs/cicd.md ("The release loop on one machine").

.PHONY: registry-up registry-down signing-key deploy-podman deployed undeploy-podman release-demo \
	test-release

# Its Debian packages (docker-registry, skopeo, gnupg) are RELEASE_PACKAGES in mk/ci.mk.
REGISTRY_PORT  ?= 5050
LOCAL_REGISTRY := 127.0.0.1:$(REGISTRY_PORT)
# The registry's config, data, log and PID file; the demo key, policy and lookaside.
REGISTRY_DIR   ?= $(CURDIR)/build/registry
RELEASE_DIR    ?= $(CURDIR)/build/release
# Deployed containers are named and labelled $(DEPLOY_NAME)-<environment>.
DEPLOY_NAME    ?= lifecycle-lab
# What a deploy accepts (make signing-key writes it): only images signed by the demo key.
POLICY         ?= $(RELEASE_DIR)/policy.json
# How long a new release gets to answer /readyz before it is rolled back.
READY_TIMEOUT  ?= 60

# What the scripts of the loop read: where the registry, the key and the policy are.
RELEASE_ENV = REGISTRY_DIR=$(REGISTRY_DIR) RELEASE_DIR=$(RELEASE_DIR) GNUPGHOME=$(RELEASE_DIR)/gnupg \
	REGISTRIES_D=$(RELEASE_DIR)/registries.d POLICY=$(POLICY) \
	TLS_VERIFY=$(REGISTRY_TLS_VERIFY) DEPLOY_NAME=$(DEPLOY_NAME) READY_TIMEOUT=$(READY_TIMEOUT)

##@ deliver and deploy

registry-up: # a real OCI registry on 127.0.0.1:$REGISTRY_PORT (default 5050), data in build/registry/
	$(RELEASE_ENV) scripts/registry.sh up $(LOCAL_REGISTRY)

registry-down: # stop the registry registry-up started (by its PID); its data stays in build/registry/
	$(RELEASE_ENV) scripts/registry.sh down $(LOCAL_REGISTRY)

signing-key: # the demo's GPG release key, its public half, policy.json and the lookaside, in build/release/
	$(RELEASE_ENV) scripts/signing_key.sh $(LOCAL_REGISTRY)/$(notdir $(IMAGE))

deploy-podman: # deploy $(IMAGE_REF) to $(ENV) on podman here: signature policy, readiness gate, rollback
	@test -n "$(IMAGE_REF)" || { echo "IMAGE_REF=name@sha256:... is required" >&2; exit 2; }
	$(RELEASE_ENV) scripts/deploy_podman.sh deploy "$(ENV)" "$(IMAGE_REF)"

deployed: # what $(ENV) runs on podman here: name@digest and URL
	@$(RELEASE_ENV) scripts/deploy_podman.sh status "$(ENV)"

undeploy-podman: # stop and remove $(ENV)'s container on podman here
	$(RELEASE_ENV) scripts/deploy_podman.sh remove "$(ENV)"

# It deploys to podman, so it builds with podman too, even where a Docker engine answers.
release-demo: ## the whole release loop here: publish, sign, promote, deploy, a bad release refused and rolled back
	$(RELEASE_ENV) REGISTRY_PORT=$(REGISTRY_PORT) CONTAINER_ENGINE=podman scripts/release-demo.sh


# The loop's refusals, each shown with its real tool (tests/release): an unsigned image, a
# signature moved onto another image, a release never ready, bad input, a taken port.
test-release: setup # the release loop's tests: each bad release refused, staging left serving
	$(MAKE) image CONTAINER_ENGINE=podman
	RELEASE_IMAGE=$(IMAGE):$(TAG) RELEASE_IMAGE_REVISION=$(IMAGE_REVISION) \
		$(PY) -m pytest -p no:cacheprovider -v tests/release

# Terraform: the platform layer (namespace, quota, limits, deployer RBAC) in terraform/.
# Offline here: fmt, the provider-free module's init/validate/test, checkov, HCL tests.
# The provider roots are validated where providers download (`make tf-roots-validate`, mk/ci.mk).

.PHONY: validate-terraform tf-check-env tf-plan tf-apply tf-output

TERRAFORM        ?= terraform
TF_ENVIRONMENTS  := staging production
# ENV (default staging) is the one pipeline-wide variable from mk/ci.mk.

# terraform fmt -check, init/validate/test of the provider-free module (with a throw-away
# TF_DATA_DIR) and checkov run in test_terraform_tools.py, with mutations that must fail;
# the HCL rules (python-hcl2, Python only) are in `make test`.
validate-terraform: setup # Terraform: fmt, init/validate/test of the provider-free module (+ mutants), checkov, plans vs overlays
	$(PY) -m pytest -p no:cacheprovider -q tests/infra/test_terraform_tools.py \
		tests/infra/test_terraform_k8s_contract.py

# For a student with a cluster (kind is fine) and network access to the Terraform registry.
# State stays local in terraform/environments/$(ENV)/terraform.tfstate (ignored by git).
tf-check-env:
	@case " $(TF_ENVIRONMENTS) " in *" $(ENV) "*) ;; \
		*) echo "ENV must be one of: $(TF_ENVIRONMENTS) (got '$(ENV)')" >&2; exit 1;; esac

##@ deliver and deploy

tf-plan: tf-check-env ## what Terraform would create for ENV=staging|production in your kubeconfig's cluster (tf-apply does it)
	$(TERRAFORM) -chdir=terraform/environments/$(ENV) init -input=false
	$(TERRAFORM) -chdir=terraform/environments/$(ENV) plan -input=false

tf-apply: tf-check-env # create the namespace, quota, limits and deployer RBAC for ENV (asks to confirm)
	$(TERRAFORM) -chdir=terraform/environments/$(ENV) init -input=false
	$(TERRAFORM) -chdir=terraform/environments/$(ENV) apply -input=false

tf-output: tf-check-env # the values a pipeline needs for ENV (namespace, deployer, token command) as JSON
	$(TERRAFORM) -chdir=terraform/environments/$(ENV) output -json

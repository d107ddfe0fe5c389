# Terraform: the platform layer (namespace, quota, limits, deployer RBAC) in terraform/.
# Offline here: fmt, the provider-free module's init/validate/test, checkov, HCL tests.
# The provider roots are validated where providers download (`make tf-roots-validate`, mk/ci.mk).

.PHONY: validate-terraform tf-check-env tf-plan tf-apply tf-output

TERRAFORM        ?= terraform
TF_PLAN_MODULE   := terraform/modules/platform-plan
TF_ENVIRONMENTS  := staging production
# ENV (default staging) is the one pipeline-wide variable from mk/ci.mk.

validate-terraform: setup ## Terraform: fmt, init/validate/test of the provider-free module, checkov, HCL tests
	$(TERRAFORM) fmt -check -recursive -diff terraform/
	@# A throw-away TF_DATA_DIR: init writes nothing into the tree.
	@data_dir=$$(mktemp -d); trap 'rm -rf "$$data_dir"' EXIT; \
	export TF_DATA_DIR="$$data_dir" TF_IN_AUTOMATION=1; \
	set -x; \
	$(TERRAFORM) -chdir=$(TF_PLAN_MODULE) init -backend=false -input=false; \
	$(TERRAFORM) -chdir=$(TF_PLAN_MODULE) validate; \
	$(TERRAFORM) -chdir=$(TF_PLAN_MODULE) test
	$(VENV)/bin/checkov --skip-download --quiet --compact --framework terraform -d terraform/
	$(PY) -m pytest -q tests/infra/test_terraform_static.py tests/infra/test_terraform_k8s_contract.py

# For a student with a cluster (kind is fine) and network access to the Terraform registry.
# State stays local in terraform/environments/$(ENV)/terraform.tfstate (ignored by git).
tf-check-env:
	@case " $(TF_ENVIRONMENTS) " in *" $(ENV) "*) ;; \
		*) echo "ENV must be one of: $(TF_ENVIRONMENTS) (got '$(ENV)')" >&2; exit 1;; esac

tf-plan: tf-check-env ## show what Terraform would create for ENV=staging|production in your kubeconfig's cluster
	$(TERRAFORM) -chdir=terraform/environments/$(ENV) init -input=false
	$(TERRAFORM) -chdir=terraform/environments/$(ENV) plan -input=false

tf-apply: tf-check-env ## create the namespace, quota, limits and deployer RBAC for ENV (asks to confirm)
	$(TERRAFORM) -chdir=terraform/environments/$(ENV) init -input=false
	$(TERRAFORM) -chdir=terraform/environments/$(ENV) apply -input=false

tf-output: tf-check-env ## the values a pipeline needs for ENV (namespace, deployer, token command) as JSON
	$(TERRAFORM) -chdir=terraform/environments/$(ENV) output -json

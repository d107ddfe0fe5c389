# Staging: the platform the staging overlay (k8s/overlays/staging) deploys into.
# The sizing below mirrors that overlay; tests/infra/test_terraform_k8s_contract.py fails
# when they disagree, so change both together.
module "platform" {
  source = "../../modules/platform-plan"

  environment  = "staging"
  max_replicas = 4   # the HPA's maxReplicas
  max_surge    = "1" # the Deployment's rollingUpdate.maxSurge
  container_resources = {
    cpu_request_millicores = 100
    cpu_limit_millicores   = 1000
    memory_request_mib     = 192
    memory_limit_mib       = 384
  }
}

module "namespace" {
  source = "../../modules/namespace"

  platform = module.platform
}

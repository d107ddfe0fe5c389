# Production: the platform the production overlay (k8s/overlays/production) deploys into.
# The sizing below mirrors that overlay; tests/infra/test_terraform_k8s_contract.py fails
# when they disagree, so change both together.
module "platform" {
  source = "../../modules/platform-plan"

  environment  = "production"
  max_replicas = 6   # the HPA's maxReplicas
  max_surge    = "1" # the Deployment's rollingUpdate.maxSurge
  container_resources = {
    cpu_request_millicores = 250
    cpu_limit_millicores   = 1000
    memory_request_mib     = 256
    memory_limit_mib       = 512
  }
}

module "namespace" {
  source = "../../modules/namespace"

  platform = module.platform
}

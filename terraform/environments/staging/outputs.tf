# What a pipeline needs to deploy into this environment (`terraform output -json`).

output "namespace" {
  description = "Namespace to deploy the overlay into."
  value       = module.namespace.namespace
}

output "deployer_service_account" {
  description = "ServiceAccount the pipeline deploys as."
  value       = module.namespace.deployer_service_account
}

output "deployer_role" {
  description = "The namespaced Role that limits what the deployer may do."
  value       = module.namespace.deployer_role
}

output "resource_quota" {
  description = "ResourceQuota of the namespace."
  value       = module.namespace.resource_quota
}

output "pod_budget" {
  description = "Most app pods the quota admits: HPA maximum plus rolling-update surge."
  value       = module.platform.pod_budget
}

output "deployer_token_command" {
  description = "Command a cluster admin runs to issue a short-lived deployer token for a CI secret."
  value       = "kubectl --namespace ${module.namespace.namespace} create token ${module.namespace.deployer_service_account} --duration 24h"
}

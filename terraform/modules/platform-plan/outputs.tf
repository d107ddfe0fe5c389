output "namespace" {
  description = "Name of the environment's namespace; the kustomize overlay deploys into it."
  value       = local.namespace

  precondition {
    condition     = length(local.namespace) <= 63
    error_message = "The namespace \"${local.namespace}\" is longer than 63 characters; shorten app_name."
  }
}

output "namespace_labels" {
  description = "Labels of the namespace: the common labels plus Pod Security \"restricted\"."
  value       = local.namespace_labels
}

output "common_labels" {
  description = "Labels every object of the platform carries."
  value       = local.common_labels
}

output "deployer_name" {
  description = "Name of the deployer ServiceAccount, and of its Role and RoleBinding."
  value       = local.deployer_name

  precondition {
    condition     = length(local.deployer_name) <= 63
    error_message = "The deployer name \"${local.deployer_name}\" is longer than 63 characters; shorten app_name."
  }
}

output "deployer_rules" {
  description = "RBAC rules of the deployer Role (namespace-scoped)."
  value       = local.deployer_rules
}

output "resource_quota_name" {
  description = "Name of the namespace's ResourceQuota."
  value       = local.quota_name
}

output "limit_range_name" {
  description = "Name of the namespace's LimitRange."
  value       = local.limits_name
}

# The sizing inputs, echoed so a test can hold them against the kustomize overlay.
output "max_replicas" {
  description = "The HPA maximum this platform is sized for."
  value       = var.max_replicas
}

output "max_surge" {
  description = "The rolling-update maxSurge this platform is sized for."
  value       = var.max_surge
}

output "surge_pods" {
  description = "Extra pods a rolling update adds at max_replicas."
  value       = local.surge_pods
}

output "pod_budget" {
  description = "Most app pods that can exist at once: max_replicas plus the rolling-update surge."
  value       = local.pod_budget
}

output "resource_quota_hard" {
  description = "The ResourceQuota's hard limits, as Kubernetes quantities."
  value       = local.resource_quota_hard
}

output "limit_range_container" {
  description = "The LimitRange for containers: default limits, default requests and maximums."
  value       = local.limit_range_container
}

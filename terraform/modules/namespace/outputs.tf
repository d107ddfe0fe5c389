output "namespace" {
  description = "The namespace the overlay deploys into (read back from the cluster)."
  value       = kubernetes_namespace_v1.this.metadata[0].name
}

output "deployer_service_account" {
  description = "Name of the ServiceAccount pipelines deploy as."
  value       = kubernetes_service_account_v1.deployer.metadata[0].name
}

output "deployer_role" {
  description = "Name of the namespaced Role bound to the deployer."
  value       = kubernetes_role_v1.deployer.metadata[0].name
}

output "resource_quota" {
  description = "Name of the namespace's ResourceQuota (`kubectl describe resourcequota` shows its use)."
  value       = kubernetes_resource_quota_v1.app.metadata[0].name
}

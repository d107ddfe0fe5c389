# Terraform talks to the cluster as an administrator (it creates namespaces and RBAC).
# The pipelines do not: they deploy as the deployer ServiceAccount this root creates.
provider "kubernetes" {
  config_path    = var.kubeconfig_path
  config_context = var.kube_context
}

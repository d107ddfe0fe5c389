variable "kubeconfig_path" {
  type        = string
  description = "Path of the kubeconfig Terraform reaches the cluster with. Its user must be allowed to create namespaces and RBAC objects (a cluster administrator, not the deployer)."
  default     = "~/.kube/config"

  validation {
    condition     = length(trimspace(var.kubeconfig_path)) > 0
    error_message = "kubeconfig_path must not be empty."
  }
}

variable "kube_context" {
  type        = string
  description = "The kubeconfig context of the target cluster; null uses the kubeconfig's current context."
  default     = null

  validation {
    condition     = var.kube_context == null || can(regex("^[^\\s]+$", var.kube_context))
    error_message = "kube_context must be null or a context name without spaces."
  }
}

variable "platform" {
  type = object({
    namespace           = string
    resource_quota_name = string
    limit_range_name    = string
    namespace_labels    = map(string)
    common_labels       = map(string)
    deployer_name       = string
    deployer_rules = list(object({
      api_groups = list(string)
      resources  = list(string)
      verbs      = list(string)
    }))
    resource_quota_hard = map(string)
    limit_range_container = object({
      default         = map(string)
      default_request = map(string)
      max             = map(string)
    })
  })
  description = "What to create, as computed (and tested) by the provider-free platform-plan module: pass `module.<its name>` here."

  validation {
    condition     = var.platform.namespace_labels["pod-security.kubernetes.io/enforce"] == "restricted"
    error_message = "The namespace must enforce the restricted Pod Security profile."
  }

  validation {
    condition     = !contains(flatten([for rule in var.platform.deployer_rules : rule.resources]), "secrets")
    error_message = "The deployer Role must not grant access to secrets."
  }
}

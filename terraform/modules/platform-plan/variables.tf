variable "app_name" {
  type        = string
  description = "Short name of the application. Prefixes the namespace and every object the platform creates."
  default     = "lifecycle-lab"

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]*[a-z0-9])?$", var.app_name))
    error_message = "app_name must be a DNS label: lower-case letters, digits and '-', starting with a letter and not ending with '-'."
  }
}

variable "environment" {
  type        = string
  description = "The deployment environment. Must name one of the kustomize overlays in k8s/overlays/."

  validation {
    condition     = contains(["dev", "staging", "production"], var.environment)
    error_message = "environment must be one of: dev, staging, production."
  }
}

variable "max_replicas" {
  type        = number
  description = "The most app pods the HorizontalPodAutoscaler may run (its maxReplicas)."

  validation {
    condition     = var.max_replicas >= 1 && var.max_replicas <= 50 && floor(var.max_replicas) == var.max_replicas
    error_message = "max_replicas must be a whole number from 1 to 50."
  }
}

variable "max_surge" {
  type        = string
  description = "The Deployment's rolling-update maxSurge, written as in Kubernetes: a pod count (\"1\") or a percentage of replicas (\"25%\", rounded up). These extra pods exist while a new version rolls out."
  default     = "25%"

  validation {
    condition = (
      can(regex("^[0-9]+$", var.max_surge)) ||
      try(tonumber(regex("^([0-9]+)%$", var.max_surge)[0]) <= 100, false)
    )
    error_message = "max_surge must be a whole pod count such as \"1\" or a percentage from \"0%\" to \"100%\"."
  }
}

variable "container_resources" {
  type = object({
    cpu_request_millicores = number
    cpu_limit_millicores   = number
    memory_request_mib     = number
    memory_limit_mib       = number
  })
  description = "Requests and limits of the app container, as the overlay's Deployment sets them. The quota is sized from these; the LimitRange uses them as defaults and maximums."

  validation {
    condition = alltrue([
      for amount in values(var.container_resources) : amount > 0 && floor(amount) == amount
    ])
    error_message = "Every container resource amount must be a whole number greater than zero."
  }

  validation {
    condition = (
      var.container_resources.cpu_request_millicores <= var.container_resources.cpu_limit_millicores &&
      var.container_resources.memory_request_mib <= var.container_resources.memory_limit_mib
    )
    error_message = "A request must not exceed its limit (Kubernetes rejects such a pod)."
  }
}

variable "extra_labels" {
  type        = map(string)
  description = "Extra labels for every object (for example team or cost centre). They cannot override the standard or Pod Security labels."
  default     = {}

  validation {
    condition = alltrue([
      for key, value in var.extra_labels :
      can(regex("^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$", key)) &&
      can(regex("^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$", value))
    ])
    error_message = "Every extra label must be a valid Kubernetes label key and value (at most 63 characters, alphanumeric at both ends)."
  }

  validation {
    condition = alltrue([
      for key in keys(var.extra_labels) :
      !startswith(key, "app.kubernetes.io/") && !startswith(key, "pod-security.kubernetes.io/") && key != "environment"
    ])
    error_message = "extra_labels must not set app.kubernetes.io/*, pod-security.kubernetes.io/* or environment: the module owns those."
  }
}

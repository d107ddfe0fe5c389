locals {
  namespace     = "${var.app_name}-${var.environment}"
  deployer_name = "${var.app_name}-deployer"
  quota_name    = "${var.app_name}-quota"
  limits_name   = "${var.app_name}-limits"

  # Standard labels win over extra_labels (merge keeps the last value for a key).
  common_labels = merge(var.extra_labels, {
    "app.kubernetes.io/part-of"    = var.app_name
    "app.kubernetes.io/managed-by" = "terraform"
    "environment"                  = var.environment
  })

  # Pod Security Admission: the API server itself rejects any pod in this namespace that is
  # not "restricted" (non-root, no privilege escalation, all capabilities dropped, seccomp).
  namespace_labels = merge(local.common_labels, {
    "pod-security.kubernetes.io/enforce"         = "restricted"
    "pod-security.kubernetes.io/enforce-version" = "latest"
    "pod-security.kubernetes.io/audit"           = "restricted"
    "pod-security.kubernetes.io/warn"            = "restricted"
  })

  # Quota arithmetic. During a rolling update the HPA may already be at max_replicas and the
  # Deployment adds maxSurge new pods (a percentage is rounded up, as Kubernetes does) before
  # old ones go away, so the namespace must admit that many pods at their full requests and
  # limits — or a deploy at peak load would hang with "exceeded quota".
  surge_is_percent = endswith(var.max_surge, "%")
  surge_pods = (local.surge_is_percent
    ? ceil(var.max_replicas * tonumber(trimsuffix(var.max_surge, "%")) / 100)
    : tonumber(var.max_surge)
  )
  pod_budget = var.max_replicas + local.surge_pods

  resources = var.container_resources
  resource_quota_hard = {
    "pods"            = tostring(local.pod_budget)
    "requests.cpu"    = "${local.pod_budget * local.resources.cpu_request_millicores}m"
    "limits.cpu"      = "${local.pod_budget * local.resources.cpu_limit_millicores}m"
    "requests.memory" = "${local.pod_budget * local.resources.memory_request_mib}Mi"
    "limits.memory"   = "${local.pod_budget * local.resources.memory_limit_mib}Mi"
    # The app is stateless and reached through a ClusterIP Service behind an ingress:
    # nothing in this namespace may claim storage or open a port on the nodes or a cloud LB.
    "persistentvolumeclaims" = "0"
    "services.nodeports"     = "0"
    "services.loadbalancers" = "0"
  }

  # A quota on limits.cpu makes Kubernetes reject pods without limits; the LimitRange gives
  # such pods defaults, and caps any container at the app container's own size.
  limit_range_container = {
    default = {
      cpu    = "${local.resources.cpu_limit_millicores}m"
      memory = "${local.resources.memory_limit_mib}Mi"
    }
    default_request = {
      cpu    = "${local.resources.cpu_request_millicores}m"
      memory = "${local.resources.memory_request_mib}Mi"
    }
    max = {
      cpu    = "${local.resources.cpu_limit_millicores}m"
      memory = "${local.resources.memory_limit_mib}Mi"
    }
  }

  # What the deployer identity may do in its namespace — exactly what `kubectl apply -k` of an
  # overlay, `kubectl rollout status/undo` and reading pod logs after a failed rollout need.
  # Deliberately absent: secrets (a deploy never writes one), roles/rolebindings (no granting
  # itself more), pods/exec, and every cluster-scoped resource (Terraform owns the namespace).
  manage = ["get", "list", "watch", "create", "update", "patch", "delete"]
  read   = ["get", "list", "watch"]
  deployer_rules = [
    { api_groups = ["apps"], resources = ["deployments"], verbs = local.manage },
    { api_groups = ["apps"], resources = ["replicasets"], verbs = local.read },
    { api_groups = [""], resources = ["services", "configmaps", "serviceaccounts"], verbs = local.manage },
    { api_groups = ["autoscaling"], resources = ["horizontalpodautoscalers"], verbs = local.manage },
    { api_groups = ["policy"], resources = ["poddisruptionbudgets"], verbs = local.manage },
    { api_groups = ["networking.k8s.io"], resources = ["networkpolicies"], verbs = local.manage },
    { api_groups = [""], resources = ["pods", "pods/log", "events"], verbs = local.read },
  ]
}

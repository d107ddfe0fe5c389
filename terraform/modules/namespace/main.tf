# The environment's namespace and the deployer identity pipelines use to deploy into it.
# Every value comes from the platform-plan module, whose logic `terraform test` covers.

locals {
  namespace = kubernetes_namespace_v1.this.metadata[0].name
  labels    = var.platform.common_labels
}

resource "kubernetes_namespace_v1" "this" {
  metadata {
    name   = var.platform.namespace
    labels = var.platform.namespace_labels
  }
}

resource "kubernetes_resource_quota_v1" "app" {
  metadata {
    name      = var.platform.resource_quota_name
    namespace = local.namespace
    labels    = local.labels
  }

  spec {
    hard = var.platform.resource_quota_hard
  }
}

resource "kubernetes_limit_range_v1" "app" {
  metadata {
    name      = var.platform.limit_range_name
    namespace = local.namespace
    labels    = local.labels
  }

  spec {
    limit {
      type            = "Container"
      default         = var.platform.limit_range_container.default
      default_request = var.platform.limit_range_container.default_request
      max             = var.platform.limit_range_container.max
    }
  }
}

# The identity GitHub Actions and Jenkins deploy with. No token is created here: a token in
# Terraform state would be a long-lived credential in a file. A cluster admin issues a
# short-lived one (`kubectl create token`, see the `deployer_token_command` output) or the
# CI system federates its own OIDC identity to this ServiceAccount.
resource "kubernetes_service_account_v1" "deployer" {
  metadata {
    name      = var.platform.deployer_name
    namespace = local.namespace
    labels    = local.labels
  }

  # Nothing runs as the deployer inside the cluster, so no pod gets its token mounted.
  automount_service_account_token = false
}

resource "kubernetes_role_v1" "deployer" {
  metadata {
    name      = var.platform.deployer_name
    namespace = local.namespace
    labels    = local.labels
  }

  dynamic "rule" {
    for_each = var.platform.deployer_rules
    content {
      api_groups = rule.value.api_groups
      resources  = rule.value.resources
      verbs      = rule.value.verbs
    }
  }
}

resource "kubernetes_role_binding_v1" "deployer" {
  metadata {
    name      = var.platform.deployer_name
    namespace = local.namespace
    labels    = local.labels
  }

  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "Role"
    name      = kubernetes_role_v1.deployer.metadata[0].name
  }

  subject {
    kind      = "ServiceAccount"
    name      = kubernetes_service_account_v1.deployer.metadata[0].name
    namespace = local.namespace
  }
}

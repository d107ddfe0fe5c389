# The deployer's Role: least privilege, and enough for `kubectl apply -k` plus rollout checks.

variables {
  environment  = "staging"
  max_replicas = 3
  container_resources = {
    cpu_request_millicores = 100
    cpu_limit_millicores   = 500
    memory_request_mib     = 128
    memory_limit_mib       = 256
  }
}

run "no_wildcards_anywhere" {
  command = plan

  assert {
    condition = alltrue(flatten([
      for rule in output.deployer_rules : [
        for item in concat(rule.api_groups, rule.resources, rule.verbs) : item != "*"
      ]
    ]))
    error_message = "a deployer rule uses a wildcard"
  }
}

run "cannot_touch_secrets_rbac_or_exec" {
  command = plan

  assert {
    condition = length(setintersection(
      toset(flatten([for rule in output.deployer_rules : rule.resources])),
      toset(["secrets", "roles", "rolebindings", "pods/exec", "pods/attach", "pods/portforward"]),
    )) == 0
    error_message = "the deployer must not reach secrets, RBAC objects or exec into pods"
  }
  assert {
    condition = length(setintersection(
      toset(flatten([for rule in output.deployer_rules : rule.verbs])),
      toset(["escalate", "bind", "impersonate"]),
    )) == 0
    error_message = "the deployer must not hold escalate, bind or impersonate"
  }
}

run "can_apply_every_kind_of_the_overlay" {
  command = plan

  # What `kubectl apply -k k8s/overlays/<env>` sends (tests/infra also checks the rendered
  # overlay itself against these rules).
  assert {
    condition = alltrue([
      for needed in [
        "apps/deployments", "/services", "/configmaps", "/serviceaccounts",
        "autoscaling/horizontalpodautoscalers", "policy/poddisruptionbudgets",
        "networking.k8s.io/networkpolicies",
      ] :
      anytrue([
        for rule in output.deployer_rules :
        contains(rule.api_groups, split("/", needed)[0]) &&
        contains(rule.resources, split("/", needed)[1]) &&
        length(setsubtract(["get", "create", "patch"], rule.verbs)) == 0
      ])
    ])
    error_message = "the deployer cannot get, create and patch every kind the overlay contains"
  }
}

run "can_follow_a_rollout" {
  command = plan

  assert {
    condition = anytrue([
      for rule in output.deployer_rules :
      contains(rule.api_groups, "apps") && contains(rule.resources, "deployments") &&
      length(setsubtract(["get", "list", "watch"], rule.verbs)) == 0
    ])
    error_message = "`kubectl rollout status` needs get, list and watch on deployments"
  }
}

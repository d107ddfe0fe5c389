# Quota arithmetic: pod budget = max_replicas + surge pods (maxSurge as a count, or a
# percentage of max_replicas rounded up), and every
# quantity in the ResourceQuota is that budget times the per-container amount.

variables {
  environment  = "production"
  max_replicas = 6
  container_resources = {
    cpu_request_millicores = 250
    cpu_limit_millicores   = 500
    memory_request_mib     = 192
    memory_limit_mib       = 384
  }
}

run "default_surge_of_25_percent_rounds_up" {
  command = plan

  # 6 * 25% = 1.5 -> Kubernetes rounds a surge up -> 2 extra pods -> budget 8.
  assert {
    condition     = output.surge_pods == 2 && output.pod_budget == 8
    error_message = "expected 2 surge pods and a budget of 8, got ${output.surge_pods} and ${output.pod_budget}"
  }
  assert {
    condition = output.resource_quota_hard == {
      "pods"                   = "8"
      "requests.cpu"           = "2000m"
      "limits.cpu"             = "4000m"
      "requests.memory"        = "1536Mi"
      "limits.memory"          = "3072Mi"
      "persistentvolumeclaims" = "0"
      "services.nodeports"     = "0"
      "services.loadbalancers" = "0"
    }
    error_message = "unexpected quota: ${jsonencode(output.resource_quota_hard)}"
  }
}

run "no_surge_means_budget_equals_max_replicas" {
  command = plan

  variables {
    max_surge = "0%"
  }

  assert {
    condition     = output.pod_budget == 6 && output.resource_quota_hard["limits.cpu"] == "3000m"
    error_message = "with no surge the budget must be max_replicas, got ${output.pod_budget}"
  }
}

run "a_single_replica_still_gets_a_surge_pod" {
  command = plan

  variables {
    max_replicas = 1
  }

  # 1 * 25% = 0.25 -> rounds up to 1: a rollout of one replica needs room for a second pod.
  assert {
    condition     = output.pod_budget == 2
    error_message = "expected a budget of 2 for one replica, got ${output.pod_budget}"
  }
}

run "surge_as_a_pod_count_is_added_as_is" {
  command = plan

  variables {
    max_surge = 1 # a number converts to the string "1", as maxSurge: 1 does in the manifest
  }

  assert {
    condition     = output.surge_pods == 1 && output.pod_budget == 7
    error_message = "maxSurge 1 at 6 replicas should give a budget of 7, got ${output.pod_budget}"
  }
}

run "limit_range_defaults_and_caps_at_the_container_size" {
  command = plan

  assert {
    condition = (
      output.limit_range_container.default == { cpu = "500m", memory = "384Mi" } &&
      output.limit_range_container.default_request == { cpu = "250m", memory = "192Mi" } &&
      output.limit_range_container.max == { cpu = "500m", memory = "384Mi" }
    )
    error_message = "unexpected limit range: ${jsonencode(output.limit_range_container)}"
  }
}

run "request_above_limit_is_rejected" {
  command = plan

  variables {
    container_resources = {
      cpu_request_millicores = 600
      cpu_limit_millicores   = 500
      memory_request_mib     = 192
      memory_limit_mib       = 384
    }
  }

  expect_failures = [var.container_resources]
}

run "zero_or_fractional_amounts_are_rejected" {
  command = plan

  variables {
    container_resources = {
      cpu_request_millicores = 0
      cpu_limit_millicores   = 500
      memory_request_mib     = 192.5
      memory_limit_mib       = 384
    }
  }

  expect_failures = [var.container_resources]
}

run "zero_replicas_is_rejected" {
  command = plan

  variables {
    max_replicas = 0
  }

  expect_failures = [var.max_replicas]
}

run "fractional_replicas_is_rejected" {
  command = plan

  variables {
    max_replicas = 2.5
  }

  expect_failures = [var.max_replicas]
}

run "surge_above_100_percent_is_rejected" {
  command = plan

  variables {
    max_surge = "150%"
  }

  expect_failures = [var.max_surge]
}

run "surge_that_is_neither_count_nor_percentage_is_rejected" {
  command = plan

  variables {
    max_surge = "1.5"
  }

  expect_failures = [var.max_surge]
}

# Names and labels: what the namespace is called, and that it enforces Pod Security.
# `command = plan` is enough: this module has no resources, its outputs are known at plan time.

variables {
  environment  = "staging"
  max_replicas = 4
  container_resources = {
    cpu_request_millicores = 100
    cpu_limit_millicores   = 500
    memory_request_mib     = 128
    memory_limit_mib       = 256
  }
}

run "namespace_is_app_dash_environment" {
  command = plan

  assert {
    condition     = output.namespace == "lifecycle-lab-staging"
    error_message = "namespace should be <app_name>-<environment>, got ${output.namespace}"
  }
  assert {
    condition     = output.deployer_name == "lifecycle-lab-deployer"
    error_message = "deployer should be <app_name>-deployer, got ${output.deployer_name}"
  }
  assert {
    condition     = output.resource_quota_name == "lifecycle-lab-quota" && output.limit_range_name == "lifecycle-lab-limits"
    error_message = "quota and limit range should be named <app_name>-quota and <app_name>-limits"
  }
}

run "namespace_enforces_restricted_pod_security" {
  command = plan

  assert {
    condition = alltrue([
      for mode in ["enforce", "audit", "warn"] :
      output.namespace_labels["pod-security.kubernetes.io/${mode}"] == "restricted"
    ])
    error_message = "the namespace must enforce, audit and warn on the restricted Pod Security profile"
  }
}

run "extra_labels_are_added_to_the_standard_ones" {
  command = plan

  variables {
    extra_labels = { team = "platform" }
  }

  assert {
    condition     = output.common_labels["team"] == "platform" && output.common_labels["app.kubernetes.io/managed-by"] == "terraform"
    error_message = "extra labels must be merged with the standard labels"
  }
}

run "extra_labels_cannot_weaken_pod_security" {
  command = plan

  variables {
    extra_labels = { "pod-security.kubernetes.io/enforce" = "privileged" }
  }

  expect_failures = [var.extra_labels]
}

run "invalid_label_value_is_rejected" {
  command = plan

  variables {
    extra_labels = { team = "has spaces" }
  }

  expect_failures = [var.extra_labels]
}

run "unknown_environment_is_rejected" {
  command = plan

  variables {
    environment = "prod"
  }

  expect_failures = [var.environment]
}

run "app_name_must_be_a_dns_label" {
  command = plan

  variables {
    app_name = "Lifecycle_Lab"
  }

  expect_failures = [var.app_name]
}

run "namespace_longer_than_63_characters_is_rejected" {
  command = plan

  variables {
    # 53 characters: "-production" makes a 64-character namespace, while the deployer
    # name (53 + "-deployer" = 62) still fits — so only the namespace check may fail.
    environment = "production"
    app_name    = "an-application-name-far-too-long-for-a-namespace-abcd"
  }

  expect_failures = [output.namespace]
}

run "deployer_name_longer_than_63_characters_is_rejected" {
  command = plan

  variables {
    # 55 characters: "-dev" keeps the namespace at 59, "-deployer" makes 64.
    environment = "dev"
    app_name    = "an-application-name-far-too-long-for-a-deployer-abcdefg"
  }

  expect_failures = [output.deployer_name]
}

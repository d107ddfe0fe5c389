terraform {
  required_version = ">= 1.9.0, < 2.0.0"

  # The root pins the provider range; `terraform init` (with network) records the exact
  # version and its checksums in .terraform.lock.hcl. That file cannot be made offline, so
  # it is not in the repository: CI resolves the newest 3.x each run.
  required_providers {
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "~> 3.0"
    }
  }
}

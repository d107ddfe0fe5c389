# A reusable module declares which provider it needs and the oldest version it works with;
# the environment roots pin the exact range (terraform/environments/*/versions.tf).
terraform {
  required_version = ">= 1.9.0, < 2.0.0"

  required_providers {
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = ">= 2.36.0, < 4.0.0"
    }
  }
}

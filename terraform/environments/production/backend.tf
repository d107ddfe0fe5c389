# State is local (terraform.tfstate next to this file, ignored by git) so a student can
# `terraform apply` against a kind cluster with nothing else set up.
#
# A team shares state in a remote backend with locking instead. Example (S3-compatible),
# configured at init time so no bucket name or credential lives in the code:
#
#   terraform {
#     backend "s3" {
#       key          = "lifecycle-lab/ENVIRONMENT/terraform.tfstate"
#       use_lockfile = true
#     }
#   }
#
#   terraform init -backend-config="bucket=<your-bucket>" -backend-config="region=<region>"
#
# See docs/terraform.md ("Remote state").

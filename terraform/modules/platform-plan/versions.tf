# No providers on purpose: this module is pure logic (names, labels, quota arithmetic, RBAC
# rules), so `terraform init -backend=false` and `terraform test` run with no network at all.
terraform {
  required_version = ">= 1.9.0, < 2.0.0"
}

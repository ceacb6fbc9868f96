# tflint with its built-in Terraform language ruleset only: no plugin is downloaded (no
# `tflint --init`), so it runs offline. The AWS ruleset is deliberately not used.
config {
  call_module_type = "none"
  force            = false
}

plugin "terraform" {
  enabled = true
  preset  = "all"
}

# Copy to my.tfvars (ignored by git), adjust, and apply with:
#   terraform apply -var-file=my.tfvars
# Every setting has a default; these are the ones most deployments look at.

region = "eu-west-1"
name   = "imgorigin"

# The allowlist of sizes. Each becomes a URL prefix /<W>x<H>/ and a key prefix in the bucket.
sizes = ["800x600", "400x300", "200x150"]
# Made at upload time; the rest on first request. Must be a subset of sizes.
# prewarm_sizes = ["800x600", "400x300"]

# Where originals are uploaded.
originals_prefix = "originals/"

# Custom domain (optional). The certificate must be in us-east-1 and cover every alias.
# aliases             = ["img.example.com"]
# acm_certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/..."

# Alarm notifications (optional): for example an SNS topic with an e-mail subscription.
# alarm_actions = ["arn:aws:sns:eu-west-1:123456789012:ops-alerts"]

tags = {
  Owner = "images-team"
}

// Package terraform holds no Go code of its own. The directory is the Terraform module that
// deploys the service on AWS (see README.md); wiring_test.go parses its *.tf files and checks
// them against the code: environment names, defaults and bounds (handler/config), zip paths,
// handler and runtime, the function URL, CloudFront's permissions, the IAM prefixes, and the
// production settings (concurrency, WAF, logs, lifecycle, alarms, outputs, version pins).
package terraform

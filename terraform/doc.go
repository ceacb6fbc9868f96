// Package terraform holds no Go code of its own. The directory is the Terraform module that
// deploys the service on AWS (see README.md); wiring_test.go parses its *.tf files and checks
// them against the code: environment names and defaults (handler/config), zip paths, handler
// and runtime, the function URL, CloudFront's permissions and the IAM prefixes.
package terraform

terraform {
  # 1.5 is the oldest version check.sh tests with; 2.0 may change the language.
  required_version = ">= 1.5, < 2.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 6.28.0 is the first release whose aws_lambda_permission has `invoked_via_function_url`
      # (provider CHANGELOG, 6.28.0, #44858); cdn.tf needs it for the second CloudFront permission.
      version = "~> 6.28"
    }
  }
}

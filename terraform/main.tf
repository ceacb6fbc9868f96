# Shared names and facts. Each other file holds one part of the stack:
#   s3.tf          image bucket (originals + variants), artifacts bucket, bucket notification
#   sns.tf         topic for S3 events, its policy and key, subscription of the pre-warm function
#   lambda.tf      the two functions, their code uploads, log groups, function URL, failure queue
#   iam.tf         execution roles: exactly the prefixes each function touches
#   cdn.tf         CloudFront in front of the function URL (origin access control, cache policy)
#   monitoring.tf  dashboard, alarms on the Embedded Metric Format metrics and AWS's own, alarm topic
#   edge.tf        optional, in us-east-1: WAF rate limit, CloudFront standard logs (v2)

provider "aws" {
  region = var.region

  default_tags {
    tags = merge({ Project = var.name }, var.tags)
  }
}

# CloudFront is global, but what attaches to it is managed in us-east-1: a WAF web ACL of scope
# CLOUDFRONT and the delivery source of its standard logs (edge.tf).
provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"

  default_tags {
    tags = merge({ Project = var.name }, var.tags)
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region

  origin_function_name  = "${var.name}-origin"
  prewarm_function_name = "${var.name}-prewarm"
  topic_name            = "${var.name}-originals"

  # Variants live under one prefix per format (handler/variantpath: <format>/<W>x<H>/<path>),
  # whatever the sizes, and each original's /meta document under meta/ (handler/meta): IAM,
  # ListBucket and the version expiry name these four.
  variant_prefixes = ["original/", "webp/", "avif/", "meta/"]

  # Where `make package` writes the zips (one per function).
  origin_zip  = "${path.module}/../build/origin.zip"
  prewarm_zip = "${path.module}/../build/prewarm.zip"

  # PREWARM_SIZES defaults to SIZES, as in handler/config.
  prewarm_sizes = var.prewarm_sizes == null ? var.sizes : var.prewarm_sizes

  # WORK_TIMEOUT of the origin: a shared miss gives up (504) before Lambda kills the function,
  # leaving time to answer and log. config.Load reads "<n>s".
  origin_work_timeout_s = var.work_timeout_s != null ? var.work_timeout_s : max(1, var.origin_timeout_s - 3)

  # libvips threads per image: one per vCPU that the memory size buys (1769 MB = 1 vCPU).
  origin_vips_concurrency  = var.vips_concurrency != null ? var.vips_concurrency : max(1, floor(var.origin_memory_mb / 1769))
  prewarm_vips_concurrency = var.vips_concurrency != null ? var.vips_concurrency : max(1, floor(var.prewarm_memory_mb / 1769))
}

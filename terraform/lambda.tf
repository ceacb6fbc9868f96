# The two functions. Both run the `bootstrap` that `make package` builds (-tags lambda.norpc) on
# the OS-only runtime, from zips that carry the project's libvips build (third_party/vips), the
# libraries it needs, libheif's codec plugins and the dynamic loader under /var/task/lib. No
# variable points libheif at its plugins: the binary finds them beside libvips
# (/var/task/lib/heif-plugins) and refuses to start if HEIC or AVIF do not decode.
#
# Environment: the names are handler/config's (config.Vars) plus libvips' own:
#   VIPS_BLOCK_UNTRUSTED=1    loaders libvips marks untrusted (e.g. ImageMagick, PDF) stay off
#   VIPS_CONCURRENCY          worker threads per image
#   WORK_TIMEOUT              origin only: below its timeout (main.tf, local.origin_work_timeout_s)
# Neither function gets S3_PATH_STYLE (only for local S3-compatible servers). Only prewarm gets
# CLOUDFRONT_DISTRIBUTION_ID: origin -> distribution -> origin would be a cycle, and only the
# pre-warm path invalidates. terraform/wiring_test.go checks these maps against handler/config.

# ---- Code: uploaded through S3 (an S3 object version per zip; the console and direct upload cap at 50 MB)

resource "aws_s3_object" "origin_zip" {
  bucket      = aws_s3_bucket.artifacts.id
  key         = "lambda/origin.zip"
  source      = local.origin_zip
  source_hash = filemd5(local.origin_zip)
}

resource "aws_s3_object" "prewarm_zip" {
  bucket      = aws_s3_bucket.artifacts.id
  key         = "lambda/prewarm.zip"
  source      = local.prewarm_zip
  source_hash = filemd5(local.prewarm_zip)
}

# ---- Logs -----------------------------------------------------------------------------------

# The AWS managed key of CloudWatch Logs encrypts these; the lines hold keys, sizes and timings.
#tfsec:ignore:aws-cloudwatch-log-group-customer-key
resource "aws_cloudwatch_log_group" "origin" {
  name              = "/aws/lambda/${local.origin_function_name}"
  retention_in_days = var.log_retention_days
}

#tfsec:ignore:aws-cloudwatch-log-group-customer-key
resource "aws_cloudwatch_log_group" "prewarm" {
  name              = "/aws/lambda/${local.prewarm_function_name}"
  retention_in_days = var.log_retention_days
}

# ---- origin: serves GET /<W>x<H>/<path> through the function URL ------------------------------

# X-Ray is not used: the response carries a Server-Timing header and every request logs its
# timings, and Active tracing would need xray:Put* on "*".
#tfsec:ignore:aws-lambda-enable-tracing
resource "aws_lambda_function" "origin" {
  function_name = local.origin_function_name
  description   = "Image origin: serves /<W>x<H>/<path> variants behind CloudFront"
  role          = aws_iam_role.origin.arn

  runtime       = "provided.al2023"
  handler       = "bootstrap"
  architectures = [var.architecture]
  memory_size   = var.origin_memory_mb
  timeout       = var.origin_timeout_s

  # Optional cap (-1: the account's unreserved pool).
  reserved_concurrent_executions = var.origin_reserved_concurrency == null ? -1 : var.origin_reserved_concurrency

  s3_bucket        = aws_s3_object.origin_zip.bucket
  s3_key           = aws_s3_object.origin_zip.key
  source_code_hash = filebase64sha256(local.origin_zip)

  environment {
    variables = {
      IMAGE_BUCKET        = aws_s3_bucket.images.id
      ORIGINALS_PREFIX    = var.originals_prefix
      SIZES               = join(",", var.sizes)
      JPEG_QUALITY        = tostring(var.jpeg_quality)
      CACHE_CONTROL       = var.cache_control
      ERROR_CACHE_CONTROL = var.error_cache_control
      LRU_BYTES           = tostring(var.lru_bytes)
      LRU_TTL             = var.lru_ttl
      MAX_SOURCE_BYTES    = tostring(var.max_source_bytes)
      MAX_SOURCE_PIXELS   = tostring(var.max_source_pixels)
      MAX_FRAMES          = tostring(var.max_frames)
      WORK_TIMEOUT        = "${local.origin_work_timeout_s}s"
      CROP                = var.crop

      VIPS_BLOCK_UNTRUSTED = "1"
      VIPS_CONCURRENCY     = tostring(local.origin_vips_concurrency)
    }
  }

  logging_config {
    log_format = "Text" # the code writes JSON lines itself (Embedded Metric Format)
    log_group  = aws_cloudwatch_log_group.origin.name
  }

  lifecycle {
    precondition {
      condition     = var.origin_timeout_s < var.origin_read_timeout_s
      error_message = "origin_timeout_s must be below origin_read_timeout_s, or CloudFront answers 504 while the function is still working."
    }
    precondition {
      condition     = local.origin_work_timeout_s < var.origin_timeout_s
      error_message = "work_timeout_s (WORK_TIMEOUT) must be below origin_timeout_s, or Lambda kills the function in the middle of a miss instead of the miss giving up with a 504."
    }
  }

  depends_on = [aws_iam_role_policy.origin]
}

# IAM auth: only requests signed by CloudFront's origin access control get through (cdn.tf).
resource "aws_lambda_function_url" "origin" {
  function_name      = aws_lambda_function.origin.function_name
  authorization_type = "AWS_IAM"
  invoke_mode        = "RESPONSE_STREAM"
}

# ---- prewarm: S3 events (through SNS) for the originals prefix ---------------------------------

#tfsec:ignore:aws-lambda-enable-tracing
resource "aws_lambda_function" "prewarm" {
  function_name = local.prewarm_function_name
  description   = "Image origin: makes, rebuilds or deletes the variants of a changed original"
  role          = aws_iam_role.prewarm.arn

  runtime       = "provided.al2023"
  handler       = "bootstrap"
  architectures = [var.architecture]
  memory_size   = var.prewarm_memory_mb
  timeout       = var.prewarm_timeout_s

  # At most this many uploads at once: a bulk upload waits in Lambda's asynchronous queue
  # instead of taking the account's concurrency from the origin function (README: running it
  # in production, for sizing).
  reserved_concurrent_executions = var.prewarm_reserved_concurrency

  s3_bucket        = aws_s3_object.prewarm_zip.bucket
  s3_key           = aws_s3_object.prewarm_zip.key
  source_code_hash = filebase64sha256(local.prewarm_zip)

  environment {
    variables = {
      IMAGE_BUCKET      = aws_s3_bucket.images.id
      ORIGINALS_PREFIX  = var.originals_prefix
      SIZES             = join(",", var.sizes)
      PREWARM_SIZES     = join(",", local.prewarm_sizes)
      PREWARM_FORMATS   = join(",", var.prewarm_formats)
      JPEG_QUALITY      = tostring(var.jpeg_quality)
      CACHE_CONTROL     = var.cache_control
      MAX_SOURCE_BYTES  = tostring(var.max_source_bytes)
      MAX_SOURCE_PIXELS = tostring(var.max_source_pixels)
      MAX_FRAMES        = tostring(var.max_frames)
      CROP              = var.crop
      # The pre-warm function never serves reads: no in-process variant cache, so memory goes
      # to libvips and a stale cached variant can never stand in for a rebuild.
      LRU_BYTES                  = "0"
      CLOUDFRONT_DISTRIBUTION_ID = aws_cloudfront_distribution.cdn.id

      VIPS_BLOCK_UNTRUSTED = "1"
      VIPS_CONCURRENCY     = tostring(local.prewarm_vips_concurrency)
    }
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.prewarm.name
  }

  lifecycle {
    precondition {
      condition     = alltrue([for s in local.prewarm_sizes : contains(var.sizes, s)])
      error_message = "prewarm_sizes must be a subset of sizes."
    }
  }

  depends_on = [aws_iam_role_policy.prewarm]
}

# ---- Failed pre-warm events: visible in a queue, never dropped --------------------------------

resource "aws_sqs_queue" "prewarm_failures" {
  name                              = "${var.name}-prewarm-failures"
  message_retention_seconds         = var.failure_retention_s
  kms_master_key_id                 = aws_kms_key.events.arn
  kms_data_key_reuse_period_seconds = 3600
}

# SNS may move undeliverable messages here (redrive policy in sns.tf). Lambda's on-failure
# destination sends with the function's role (iam.tf), which needs no queue policy.
data "aws_iam_policy_document" "prewarm_failures" {
  statement {
    sid       = "TopicRedrivesHere"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.prewarm_failures.arn]

    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_sns_topic.originals.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "prewarm_failures" {
  queue_url = aws_sqs_queue.prewarm_failures.id
  policy    = data.aws_iam_policy_document.prewarm_failures.json
}

# SNS invokes the function asynchronously: Lambda retries a failed event, then hands it (with
# the error) to the queue.
resource "aws_lambda_function_event_invoke_config" "prewarm" {
  function_name                = aws_lambda_function.prewarm.function_name
  maximum_retry_attempts       = var.prewarm_max_retries
  maximum_event_age_in_seconds = var.prewarm_max_event_age_s

  destination_config {
    on_failure {
      destination = aws_sqs_queue.prewarm_failures.arn
    }
  }

  # Lambda checks at once that the role may send to the queue.
  depends_on = [aws_iam_role_policy.prewarm]
}

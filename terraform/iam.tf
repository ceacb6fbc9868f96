# Execution roles, least privilege, generated from the same variables as the environment:
#
#   prefix                   origin              prewarm
#   <originals_prefix>*      read                read
#   original/* webp/* avif/* read, write         read, write, delete
#   (variants: <format>/<W>x<H>/<path>, one prefix per format whatever the sizes)
#   meta/*                   read, write         read, write, delete
#                            (the /meta document of each original, kept in step like a variant)
#   ListBucket on the bucket only for those prefixes, so that a missing key is S3's 404
#                            (NoSuchKey), not its 403: without s3:ListBucket S3 hides whether a
#                            key exists and the service would answer 500 instead of 404, and a
#                            variant cache miss would look like an error.
#
# Nothing else in the bucket is readable or writable by either function.
#
# tfsec reports the object ARNs below as "wildcarded resources" (aws-iam-no-policy-wildcards).
# The "*" is the key under one prefix (originals/*, webp/*, meta/*) or the streams of one log group
# (<log group arn>:*): object and stream names are not known in advance, and the prefix is the
# boundary. Those statements carry an inline ignore; no action is wildcarded.

locals {
  originals_object_arn = "${aws_s3_bucket.images.arn}/${var.originals_prefix}*"
  variant_object_arns  = [for f in local.variant_prefixes : "${aws_s3_bucket.images.arn}/${f}*"]
  # Values of s3:prefix that ListBucket (ListObjectsV2, and S3's own existence check behind a
  # GetObject/HeadObject of a missing key) may use.
  listable_prefixes = concat(["${var.originals_prefix}*"], [for f in local.variant_prefixes : "${f}*"])
}

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

# ---- origin ---------------------------------------------------------------------------------

resource "aws_iam_role" "origin" {
  name               = "${local.origin_function_name}-role"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

data "aws_iam_policy_document" "origin" {
  #tfsec:ignore:aws-iam-no-policy-wildcards
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.origin.arn}:*"]
  }

  #tfsec:ignore:aws-iam-no-policy-wildcards
  statement {
    sid       = "ReadOriginals"
    actions   = ["s3:GetObject"]
    resources = [local.originals_object_arn]
  }

  #tfsec:ignore:aws-iam-no-policy-wildcards
  statement {
    sid       = "ReadWriteVariants"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = local.variant_object_arns
  }

  statement {
    sid       = "ListOwnPrefixes"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.images.arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = local.listable_prefixes
    }
  }
}

resource "aws_iam_role_policy" "origin" {
  name   = "origin"
  role   = aws_iam_role.origin.id
  policy = data.aws_iam_policy_document.origin.json
}

# ---- prewarm --------------------------------------------------------------------------------

resource "aws_iam_role" "prewarm" {
  name               = "${local.prewarm_function_name}-role"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

data "aws_iam_policy_document" "prewarm" {
  #tfsec:ignore:aws-iam-no-policy-wildcards
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.prewarm.arn}:*"]
  }

  #tfsec:ignore:aws-iam-no-policy-wildcards
  statement {
    sid       = "ReadOriginals"
    actions   = ["s3:GetObject"]
    resources = [local.originals_object_arn]
  }

  # Delete: the variants of a deleted original go with it.
  #tfsec:ignore:aws-iam-no-policy-wildcards
  statement {
    sid       = "ReadWriteDeleteVariants"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = local.variant_object_arns
  }

  statement {
    sid       = "ListOwnPrefixes"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.images.arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = local.listable_prefixes
    }
  }

  # A replaced or deleted original invalidates its variant paths on this distribution only.
  statement {
    sid       = "InvalidateOwnDistribution"
    actions   = ["cloudfront:CreateInvalidation"]
    resources = [aws_cloudfront_distribution.cdn.arn]
  }

  # On-failure destination of asynchronous invocations (lambda.tf); Lambda sends with this role.
  statement {
    sid       = "SendFailedEvents"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.prewarm_failures.arn]
  }

  statement {
    sid       = "EncryptFailedEvents"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [aws_kms_key.events.arn]
  }
}

resource "aws_iam_role_policy" "prewarm" {
  name   = "prewarm"
  role   = aws_iam_role.prewarm.id
  policy = data.aws_iam_policy_document.prewarm.json
}

# Two private buckets:
#   images     originals under var.originals_prefix, variants under original/, webp/, avif/
#              (<format>/<W>x<H>/<path>, handler/variantpath)
#   artifacts  the function zips (about 15 MB each; through S3 so a deploy never meets the 50 MB direct-upload cap)

# ---- Image bucket ---------------------------------------------------------------------------

# Access logging is not turned on: it needs a second, log-receiving bucket, and every request
# through CloudFront is already logged by the origin function (one JSON line per request).
#tfsec:ignore:aws-s3-enable-bucket-logging
resource "aws_s3_bucket" "images" {
  bucket        = var.bucket_name
  bucket_prefix = var.bucket_name == null ? "${var.name}-images-" : null
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_public_access_block" "images" {
  bucket                  = aws_s3_bucket.images.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "images" {
  bucket = aws_s3_bucket.images.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

# SSE-S3 rather than a customer managed KMS key: every variant read on the request path would
# otherwise be a KMS call (cost and latency), every uploader would need kms:GenerateDataKey, and
# the objects are images that CloudFront publishes anyway.
#tfsec:ignore:aws-s3-encryption-customer-key
resource "aws_s3_bucket_server_side_encryption_configuration" "images" {
  bucket = aws_s3_bucket.images.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

# Versioned, so that an original that was replaced or deleted by mistake can be restored;
# superseded versions expire after a while: old originals after
# var.noncurrent_version_expiration_days, rebuilt or deleted variants after 1 day (they can be
# made again from the original at any time).
resource "aws_s3_bucket_versioning" "images" {
  bucket = aws_s3_bucket.images.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "images" {
  bucket = aws_s3_bucket.images.id

  # The whole bucket, originals included. Where it overlaps the variant rules below, S3 honours
  # the shorter expiration ("How Amazon S3 handles conflicts in lifecycle configurations").
  rule {
    id     = "expire-superseded-versions"
    status = "Enabled"

    filter {
      prefix = ""
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    expiration {
      expired_object_delete_marker = true
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  # Each variant prefix and meta/: every rebuild and every delete of an original leaves a
  # noncurrent version of each variant and of its /meta document; none of them is worth keeping.
  dynamic "rule" {
    for_each = local.variant_prefixes

    content {
      id     = "expire-superseded-variants-${trimsuffix(rule.value, "/")}"
      status = "Enabled"

      filter {
        prefix = rule.value
      }

      noncurrent_version_expiration {
        noncurrent_days = 1
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.images]
}

data "aws_iam_policy_document" "images_bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.images.arn, "${aws_s3_bucket.images.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "images" {
  bucket = aws_s3_bucket.images.id
  policy = data.aws_iam_policy_document.images_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.images]
}

# Uploads and deletes under the originals prefix only: variant writes by the functions never
# trigger the pre-warm path again. ObjectRemoved covers deletes and delete markers, so that the
# variants of a deleted original are deleted and invalidated too.
resource "aws_s3_bucket_notification" "images" {
  bucket = aws_s3_bucket.images.id

  topic {
    id            = "originals-changed"
    topic_arn     = aws_sns_topic.originals.arn
    events        = ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
    filter_prefix = var.originals_prefix
  }

  # S3 checks that it may publish (topic policy and key policy) when the notification is saved.
  depends_on = [aws_sns_topic_policy.originals, aws_kms_key.events]
}

# ---- Artifacts bucket (function code) -------------------------------------------------------

# Holds nothing but build outputs that `make package` can recreate, so no access logs.
#tfsec:ignore:aws-s3-enable-bucket-logging
resource "aws_s3_bucket" "artifacts" {
  bucket_prefix = "${var.name}-artifacts-"
  force_destroy = true
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  bucket                  = aws_s3_bucket.artifacts.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

# Build outputs only; SSE-S3 is enough, and Lambda reads the code with the deployer's rights.
#tfsec:ignore:aws-s3-encryption-customer-key
resource "aws_s3_bucket_server_side_encryption_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  rule {
    id     = "expire-old-builds"
    status = "Enabled"

    filter {
      prefix = ""
    }

    noncurrent_version_expiration {
      noncurrent_days = 7
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.artifacts]
}

data "aws_iam_policy_document" "artifacts_bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.artifacts.arn, "${aws_s3_bucket.artifacts.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  policy = data.aws_iam_policy_document.artifacts_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.artifacts]
}

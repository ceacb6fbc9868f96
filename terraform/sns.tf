# S3 event -> SNS topic -> pre-warm function.
#
# The topic (and the failure queue in lambda.tf) are encrypted with a key of this stack: S3 can
# only publish to an encrypted topic whose key policy lets s3.amazonaws.com use the key, which
# the AWS managed alias/aws/sns key does not allow.

locals {
  # Built from its parts, not from aws_sns_topic.originals.arn: the key policy needs it and the
  # topic needs the key.
  topic_arn = "arn:${local.partition}:sns:${local.region}:${local.account_id}:${local.topic_name}"
}

data "aws_iam_policy_document" "events_key" {
  # The account administers the key through IAM, as with any key created by default. A key
  # policy always names the key itself as "*".
  statement {
    sid       = "AccountAdministersKey"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "BucketPublishesEncryptedEvents"
    actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [aws_s3_bucket.images.arn]
    }
  }

  # CloudWatch alarms publish to the (encrypted) alarm topic, monitoring.tf. CloudWatch's
  # documented statement for an encrypted topic; it names no alarm, since alarms publish
  # through the service principal without a source ARN of their own.
  statement {
    sid       = "AlarmsPublishEncrypted"
    actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
  }

  # SNS moves messages it could not deliver to the function into the (encrypted) failure queue.
  statement {
    sid       = "TopicWritesEncryptedFailures"
    actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.topic_arn]
    }
  }
}

resource "aws_kms_key" "events" {
  description             = "${var.name}: S3 event topic, pre-warm failure queue, alarm topic"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.events_key.json
}

resource "aws_kms_alias" "events" {
  name          = "alias/${var.name}-events"
  target_key_id = aws_kms_key.events.key_id
}

resource "aws_sns_topic" "originals" {
  name              = local.topic_name
  kms_master_key_id = aws_kms_key.events.arn
}

# Only this bucket, in this account, may publish.
data "aws_iam_policy_document" "topic" {
  statement {
    sid       = "ImageBucketPublishes"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.originals.arn]

    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [aws_s3_bucket.images.arn]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "originals" {
  arn    = aws_sns_topic.originals.arn
  policy = data.aws_iam_policy_document.topic.json
}

resource "aws_sns_topic_subscription" "prewarm" {
  topic_arn = aws_sns_topic.originals.arn
  protocol  = "lambda"
  endpoint  = aws_lambda_function.prewarm.arn

  # Messages SNS cannot hand to Lambda at all land in the same failure queue as invocations that
  # failed (lambda.tf), so nothing is dropped silently.
  redrive_policy = jsonencode({ deadLetterTargetArn = aws_sqs_queue.prewarm_failures.arn })

  depends_on = [aws_lambda_permission.sns_invokes_prewarm, aws_sqs_queue_policy.prewarm_failures]
}

resource "aws_lambda_permission" "sns_invokes_prewarm" {
  statement_id  = "AllowInvokeFromOriginalsTopic"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.prewarm.function_name
  principal     = "sns.amazonaws.com"
  source_arn    = aws_sns_topic.originals.arn
}

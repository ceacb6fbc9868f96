# Dashboard and alarms.
#
# The service's own metrics cost no API calls: the functions print them in their JSON log lines in
# CloudWatch's Embedded Metric Format, and CloudWatch Logs extracts them. The contract with the
# code is:
#   namespace  "ImageOrigin"
#   dimension  "Function" = the Lambda function name (AWS_LAMBDA_FUNCTION_NAME), i.e.
#              "<name>-origin" / "<name>-prewarm"
#   metrics    Requests, Errors5xx, Errors4xx, Hits, Misses (counts), LatencyMs (milliseconds),
#              BytesOut (bytes), PrewarmFailures (count, from the pre-warm function)
# (handler/log.go emits them; Function is set from AWS_LAMBDA_FUNCTION_NAME in cmd/internal/app.)
# The AWS/Lambda, AWS/SQS and AWS/CloudFront metrics below come from AWS itself.

locals {
  # Every alarm notifies one topic: var.alarm_topic_arn, or the one below.
  alarm_topic_arn = var.alarm_topic_arn != null ? var.alarm_topic_arn : aws_sns_topic.alarms[0].arn
  alarm_actions   = [local.alarm_topic_arn]

  metric_namespace = "ImageOrigin"
  dashboard_name   = "${var.name}-image-origin"
  origin_dim       = ["Function", local.origin_function_name]
  prewarm_dim      = ["Function", local.prewarm_function_name]

  dashboard_widgets = [
    {
      type   = "metric"
      x      = 0
      y      = 0
      width  = 12
      height = 6
      properties = {
        title  = "Origin requests: hits and misses (bytes out, right axis)"
        region = local.region
        stat   = "Sum"
        period = 300
        view   = "timeSeries"
        metrics = [
          concat([local.metric_namespace, "Requests"], local.origin_dim),
          concat([local.metric_namespace, "Hits"], local.origin_dim),
          concat([local.metric_namespace, "Misses"], local.origin_dim),
          concat([local.metric_namespace, "BytesOut"], local.origin_dim, [{ yAxis = "right" }]),
        ]
      }
    },
    {
      type   = "metric"
      x      = 12
      y      = 0
      width  = 12
      height = 6
      properties = {
        title  = "Origin errors (5xx rate %, right axis)"
        region = local.region
        stat   = "Sum"
        period = 300
        view   = "timeSeries"
        metrics = [
          concat([local.metric_namespace, "Errors4xx"], local.origin_dim, [{ id = "e4" }]),
          concat([local.metric_namespace, "Errors5xx"], local.origin_dim, [{ id = "e5" }]),
          concat([local.metric_namespace, "Requests"], local.origin_dim, [{ id = "req", visible = false }]),
          [{ expression = "IF(req > 0, 100 * e5 / req, 0)", label = "5xx rate %", id = "rate5", yAxis = "right" }],
        ]
      }
    },
    {
      type   = "metric"
      x      = 0
      y      = 6
      width  = 12
      height = 6
      properties = {
        title  = "Origin latency (ms)"
        region = local.region
        period = 300
        view   = "timeSeries"
        metrics = [
          concat([local.metric_namespace, "LatencyMs"], local.origin_dim, [{ stat = "p50", label = "p50" }]),
          concat([local.metric_namespace, "LatencyMs"], local.origin_dim, [{ stat = "p90", label = "p90" }]),
          concat([local.metric_namespace, "LatencyMs"], local.origin_dim, [{ stat = "p99", label = "p99" }]),
        ]
      }
    },
    {
      type   = "metric"
      x      = 12
      y      = 6
      width  = 12
      height = 6
      properties = {
        title  = "Pre-warm: failures, throttles, queued events, failed events waiting"
        region = local.region
        period = 300
        view   = "timeSeries"
        metrics = [
          concat([local.metric_namespace, "PrewarmFailures"], local.prewarm_dim, [{ stat = "Sum" }]),
          ["AWS/Lambda", "Invocations", "FunctionName", local.prewarm_function_name, { stat = "Sum" }],
          ["AWS/Lambda", "Errors", "FunctionName", local.prewarm_function_name, { stat = "Sum" }],
          ["AWS/Lambda", "Throttles", "FunctionName", local.prewarm_function_name, { stat = "Sum", label = "throttled (uploads queueing)" }],
          ["AWS/Lambda", "AsyncEventAge", "FunctionName", local.prewarm_function_name, { stat = "Maximum", yAxis = "right", label = "oldest queued event (ms)" }],
          ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", aws_sqs_queue.prewarm_failures.name, { stat = "Maximum", label = "in failure queue" }],
        ]
      }
    },
    {
      type   = "metric"
      x      = 0
      y      = 12
      width  = 12
      height = 6
      properties = {
        title  = "Origin function: duration, concurrency, throttles"
        region = local.region
        period = 300
        view   = "timeSeries"
        metrics = [
          ["AWS/Lambda", "Duration", "FunctionName", local.origin_function_name, { stat = "p99", label = "duration p99 (ms)" }],
          ["AWS/Lambda", "ConcurrentExecutions", "FunctionName", local.origin_function_name, { stat = "Maximum", yAxis = "right" }],
          ["AWS/Lambda", "Throttles", "FunctionName", local.origin_function_name, { stat = "Sum", yAxis = "right" }],
          ["AWS/Lambda", "Errors", "FunctionName", local.origin_function_name, { stat = "Sum", yAxis = "right" }],
        ]
      }
    },
    {
      # CloudFront publishes its metrics in us-east-1 only.
      type   = "metric"
      x      = 12
      y      = 12
      width  = 12
      height = 6
      properties = {
        title  = "CloudFront: requests and error rates"
        region = "us-east-1"
        period = 300
        view   = "timeSeries"
        metrics = [
          ["AWS/CloudFront", "Requests", "DistributionId", aws_cloudfront_distribution.cdn.id, "Region", "Global", { stat = "Sum" }],
          ["AWS/CloudFront", "4xxErrorRate", "DistributionId", aws_cloudfront_distribution.cdn.id, "Region", "Global", { stat = "Average", yAxis = "right" }],
          ["AWS/CloudFront", "5xxErrorRate", "DistributionId", aws_cloudfront_distribution.cdn.id, "Region", "Global", { stat = "Average", yAxis = "right" }],
        ]
      }
    },
  ]
}

resource "aws_cloudwatch_dashboard" "origin" {
  dashboard_name = local.dashboard_name
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })
}

# More than var.origin_5xx_alarm_percent of origin requests answered 5xx, twice in a row.
resource "aws_cloudwatch_metric_alarm" "origin_5xx_rate" {
  alarm_name          = "${local.origin_function_name}-5xx-rate"
  alarm_description   = "More than ${var.origin_5xx_alarm_percent}% of image requests reaching ${local.origin_function_name} answered 5xx (storage failing, timeouts, crashes)."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.origin_5xx_alarm_percent
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "rate"
    expression  = "IF(requests > 0, 100 * errors / requests, 0)"
    label       = "5xx rate %"
    return_data = true
  }

  metric_query {
    id = "errors"

    metric {
      namespace   = local.metric_namespace
      metric_name = "Errors5xx"
      dimensions  = { Function = local.origin_function_name }
      period      = 300
      stat        = "Sum"
    }
  }

  metric_query {
    id = "requests"

    metric {
      namespace   = local.metric_namespace
      metric_name = "Requests"
      dimensions  = { Function = local.origin_function_name }
      period      = 300
      stat        = "Sum"
    }
  }
}

# Invocations that ended in an error the code could not turn into an HTTP answer (timeouts, out of
# memory, crashes): these never reach the EMF lines above.
resource "aws_cloudwatch_metric_alarm" "origin_invocation_errors" {
  alarm_name          = "${local.origin_function_name}-invocation-errors"
  alarm_description   = "${local.origin_function_name} invocations failed (timeout, out of memory, crash)."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = local.origin_function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# A pre-warm event failed every retry (or SNS could not deliver it): it waits in the queue with
# the error, for a person to look at (see README: "when an original fails to pre-warm").
resource "aws_cloudwatch_metric_alarm" "prewarm_failures_queued" {
  alarm_name          = "${local.prewarm_function_name}-failures-queued"
  alarm_description   = "Pre-warm events reached ${aws_sqs_queue.prewarm_failures.name}: an upload or delete was not processed."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.prewarm_failures.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# ---- The alarm topic ------------------------------------------------------------------------

# Made unless var.alarm_topic_arn names one. Encrypted with this stack's key, whose policy lets
# CloudWatch publish to it (sns.tf); subscribe people or a chat integration to it.
resource "aws_sns_topic" "alarms" {
  count             = var.alarm_topic_arn == null ? 1 : 0
  name              = "${var.name}-alarms"
  kms_master_key_id = aws_kms_key.events.arn
}

# ---- The pre-warm path: the first failure, not only the failure queue -------------------------

resource "aws_cloudwatch_metric_alarm" "prewarm_errors" {
  alarm_name          = "${local.prewarm_function_name}-errors"
  alarm_description   = "${local.prewarm_function_name} invocations failed (storage faults, invalidations out of time, timeouts); Lambda retries them, then they reach the failure queue."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = local.prewarm_function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# Uploads beyond prewarm_reserved_concurrency: they wait in Lambda's asynchronous queue, and
# those older than prewarm_max_event_age_s go to the failure queue unprocessed.
resource "aws_cloudwatch_metric_alarm" "prewarm_throttles" {
  alarm_name          = "${local.prewarm_function_name}-throttles"
  alarm_description   = "${local.prewarm_function_name} was throttled at its reserved concurrency (${var.prewarm_reserved_concurrency}): uploads are queueing; see README, concurrency sizing."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = local.prewarm_function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# SNS could not hand S3's event to the pre-warm function (after its own retries the message is
# in the failure queue, see sns.tf).
resource "aws_cloudwatch_metric_alarm" "prewarm_deliveries_failed" {
  alarm_name          = "${local.topic_name}-deliveries-failed"
  alarm_description   = "SNS failed to deliver S3 events from ${local.topic_name} to ${local.prewarm_function_name}."
  namespace           = "AWS/SNS"
  metric_name         = "NumberOfNotificationsFailed"
  dimensions          = { TopicName = local.topic_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# ---- The origin: throttled viewers, misses near the timeout -----------------------------------

resource "aws_cloudwatch_metric_alarm" "origin_throttles" {
  alarm_name          = "${local.origin_function_name}-throttles"
  alarm_description   = "${local.origin_function_name} was throttled (account concurrency or origin_reserved_concurrency): viewers got 5xx from CloudFront."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = local.origin_function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "origin_duration" {
  alarm_name          = "${local.origin_function_name}-duration-near-timeout"
  alarm_description   = "The longest ${local.origin_function_name} invocation took more than ${var.origin_duration_alarm_percent}% of its ${var.origin_timeout_s} s timeout: misses are about to time out (raise origin_memory_mb or look for huge originals)."
  namespace           = "AWS/Lambda"
  metric_name         = "Duration"
  dimensions          = { FunctionName = local.origin_function_name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.origin_timeout_s * 1000 * var.origin_duration_alarm_percent / 100
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

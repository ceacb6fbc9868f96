# Optional parts of the edge, all managed in us-east-1 (provider aws.us_east_1, main.tf): AWS
# WAF for CloudFront and CloudFront's log delivery live there whatever var.region is.

# ---- WAF: a rate-based rule per viewer IP (var.waf_rate_limit) -------------------------------

resource "aws_wafv2_web_acl" "rate_limit" {
  count    = var.waf_rate_limit == null ? 0 : 1
  provider = aws.us_east_1

  name        = "${var.name}-rate-limit"
  description = "${var.name}: block viewer IPs above ${var.waf_rate_limit} requests in 5 minutes"
  scope       = "CLOUDFRONT"

  default_action {
    allow {}
  }

  rule {
    name     = "requests-per-ip"
    priority = 0

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit                 = var.waf_rate_limit
        aggregate_key_type    = "IP"
        evaluation_window_sec = 300
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-requests-per-ip"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${var.name}-rate-limit"
    sampled_requests_enabled   = true
  }
}

# ---- CloudFront standard logs, v2 (var.cdn_access_logs) -------------------------------------
#
# Source (the distribution) -> delivery -> destination (a log group). No bucket and no ACLs:
# CloudWatch Logs delivers the lines itself and adds the log group's resource policy for
# delivery.logs.amazonaws.com when the delivery is created.

# Access lines hold viewer IPs and paths; CloudWatch Logs' own encryption is enough for them.
#tfsec:ignore:aws-cloudwatch-log-group-customer-key
resource "aws_cloudwatch_log_group" "cdn" {
  count    = var.cdn_access_logs ? 1 : 0
  provider = aws.us_east_1

  name              = "/aws/cloudfront/${var.name}"
  retention_in_days = var.log_retention_days
}

resource "aws_cloudwatch_log_delivery_source" "cdn" {
  count    = var.cdn_access_logs ? 1 : 0
  provider = aws.us_east_1

  name         = "${var.name}-cdn"
  log_type     = "ACCESS_LOGS"
  resource_arn = aws_cloudfront_distribution.cdn.arn
}

resource "aws_cloudwatch_log_delivery_destination" "cdn" {
  count    = var.cdn_access_logs ? 1 : 0
  provider = aws.us_east_1

  name          = "${var.name}-cdn-logs"
  output_format = "json"

  delivery_destination_configuration {
    destination_resource_arn = aws_cloudwatch_log_group.cdn[0].arn
  }
}

resource "aws_cloudwatch_log_delivery" "cdn" {
  count    = var.cdn_access_logs ? 1 : 0
  provider = aws.us_east_1

  delivery_source_name     = aws_cloudwatch_log_delivery_source.cdn[0].name
  delivery_destination_arn = aws_cloudwatch_log_delivery_destination.cdn[0].arn
}

output "cloudfront_domain_name" {
  description = "Domain name of the distribution (point DNS records for var.aliases here)."
  value       = aws_cloudfront_distribution.cdn.domain_name
}

output "distribution_id" {
  description = "CloudFront distribution id (for invalidations; also in the pre-warm function's environment)."
  value       = aws_cloudfront_distribution.cdn.id
}

output "bucket_name" {
  description = "Image bucket: upload originals under originals_prefix."
  value       = aws_s3_bucket.images.id
}

output "originals_uri" {
  description = "Where to upload originals, for `aws s3 cp photo.jpg <originals_uri>photo.jpg`."
  value       = "s3://${aws_s3_bucket.images.id}/${var.originals_prefix}"
}

output "example_url" {
  description = "URL of the first size of an original uploaded as <originals_prefix>example.jpg."
  value       = "https://${local.public_host}/${var.sizes[0]}/example.jpg"
}

output "origin_function_name" {
  description = "Name of the function behind CloudFront."
  value       = aws_lambda_function.origin.function_name
}

output "prewarm_function_name" {
  description = "Name of the function that handles uploads and deletes of originals."
  value       = aws_lambda_function.prewarm.function_name
}

output "origin_function_url" {
  description = "The function URL itself; it answers 403 to anything not signed by the distribution."
  value       = aws_lambda_function_url.origin.function_url
}

output "prewarm_failure_queue_url" {
  description = "SQS queue holding pre-warm events that failed every retry."
  value       = aws_sqs_queue.prewarm_failures.id
}

output "dashboard_url" {
  description = "CloudWatch dashboard of the service."
  value       = "https://${local.region}.console.aws.amazon.com/cloudwatch/home?region=${local.region}#dashboards/dashboard/${aws_cloudwatch_dashboard.origin.dashboard_name}"
}

# ---- ARNs, for IAM policies, alarms and automation outside this module ------------------------

output "origin_function_arn" {
  description = "ARN of the origin function."
  value       = aws_lambda_function.origin.arn
}

output "prewarm_function_arn" {
  description = "ARN of the pre-warm function."
  value       = aws_lambda_function.prewarm.arn
}

output "origin_role_arn" {
  description = "Execution role of the origin function."
  value       = aws_iam_role.origin.arn
}

output "prewarm_role_arn" {
  description = "Execution role of the pre-warm function."
  value       = aws_iam_role.prewarm.arn
}

output "originals_topic_arn" {
  description = "SNS topic carrying the image bucket's events for the originals prefix."
  value       = aws_sns_topic.originals.arn
}

output "alarm_topic_arn" {
  description = "SNS topic every alarm notifies (var.alarm_topic_arn or the one this module made): subscribe to it."
  value       = local.alarm_topic_arn
}

output "prewarm_failure_queue_arn" {
  description = "ARN of the SQS queue holding pre-warm events that failed every retry."
  value       = aws_sqs_queue.prewarm_failures.arn
}

output "events_key_arn" {
  description = "KMS key encrypting the event topic, the failure queue and the alarm topic."
  value       = aws_kms_key.events.arn
}

output "web_acl_arn" {
  description = "WAF web ACL attached to the distribution (var.web_acl_id or the rate limit of var.waf_rate_limit); null: none."
  value       = local.web_acl_arn
}

output "cdn_log_group_name" {
  description = "CloudWatch Logs group in us-east-1 holding CloudFront's standard logs; null unless var.cdn_access_logs."
  value       = var.cdn_access_logs ? aws_cloudwatch_log_group.cdn[0].name : null
}

output "not_found_edge_ttl_s" {
  description = "Seconds a 404 may stay at the edge: an original uploaded just after a viewer asked for it is visible everywhere after at most this long."
  value       = local.not_found_edge_ttl_s
}

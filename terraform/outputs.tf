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

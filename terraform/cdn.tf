# CloudFront in front of the origin function's URL.
#
# The URL uses AWS_IAM auth; CloudFront signs every origin request (SigV4) through an origin
# access control of type "lambda", and the function's resource policy admits exactly this
# distribution. Function URLs created since October 2025 need BOTH permissions below:
# lambda:InvokeFunctionUrl and lambda:InvokeFunction (the latter limited to invocations through
# the function URL); with only the first, every request is a 403.

locals {
  cdn_origin_id = "origin-function-url"
  # "https://<id>.lambda-url.<region>.on.aws/" -> "<id>.lambda-url.<region>.on.aws"
  function_url_host = split("/", aws_lambda_function_url.origin.function_url)[2]
  public_host       = length(var.aliases) > 0 ? var.aliases[0] : aws_cloudfront_distribution.cdn.domain_name

  # Status codes whose error-caching time CloudFront lets a distribution set. 415 and 422 are not
  # among them: CloudFront does not cache 422 at all, and caches 415 only as long as the
  # answer's own Cache-Control (ERROR_CACHE_CONTROL) says.
  cached_error_codes = [400, 403, 404, 405, 414, 500, 501, 502, 503, 504]

  # How long a 404 stays at the edge: CloudFront keeps an error for the larger of the error
  # caching minimum TTL and the answer's own s-maxage (else max-age), ERROR_CACHE_CONTROL.
  # This is how long an original uploaded just after a viewer asked for it can stay invisible
  # there (the pre-warm function invalidates replaced variants only: invalidating every first
  # upload would cost a path per size per upload). README and outputs promise this number.
  error_s_maxage       = try(tonumber(regex("s-maxage=([0-9]+)", var.error_cache_control)[0]), null)
  error_max_age        = try(tonumber(regex("(?:^|[ ,])max-age=([0-9]+)", var.error_cache_control)[0]), 0)
  not_found_edge_ttl_s = max(var.error_caching_min_ttl, local.error_s_maxage != null ? local.error_s_maxage : local.error_max_age)

  # The web ACL: the operator's own, or this module's rate limit (edge.tf), or none.
  web_acl_arn = var.web_acl_id != null ? var.web_acl_id : (var.waf_rate_limit != null ? aws_wafv2_web_acl.rate_limit[0].arn : null)
}

resource "aws_cloudfront_origin_access_control" "origin" {
  name                              = "${var.name}-origin-function"
  description                       = "Signs CloudFront's requests to the ${local.origin_function_name} function URL"
  origin_access_control_origin_type = "lambda"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

# The cache key is the path and nothing else: the origin path the viewer-request function writes
# (/<format>/<W>x<H>/<~XX key>) names exactly one variant, so query strings, headers and
# cookies would only split the cache (and open it to cache busting). max_ttl lets CloudFront keep
# a variant for CACHE_CONTROL's s-maxage (a year) while browsers revalidate after its max-age;
# a replace reaches CloudFront by invalidation (terraform/wiring_test.go checks the two agree).
resource "aws_cloudfront_cache_policy" "path_only" {
  name        = "${var.name}-path-only"
  comment     = "Image variants: cache key is the URL path only"
  min_ttl     = 0
  default_ttl = 86400
  max_ttl     = 31536000

  parameters_in_cache_key_and_forwarded_to_origin {
    enable_accept_encoding_gzip   = false
    enable_accept_encoding_brotli = false

    cookies_config {
      cookie_behavior = "none"
    }

    headers_config {
      header_behavior = "none"
    }

    query_strings_config {
      query_string_behavior = "none"
    }
  }
}

# Forwards nothing of the viewer's request beyond the path. In particular not Host: the function
# URL must see its own host name, which CloudFront also signs.
resource "aws_cloudfront_origin_request_policy" "nothing_from_viewer" {
  name    = "${var.name}-nothing-from-viewer"
  comment = "No viewer headers (not Host), cookies or query strings to the function URL"

  cookies_config {
    cookie_behavior = "none"
  }

  headers_config {
    header_behavior = "none"
  }

  query_strings_config {
    query_string_behavior = "none"
  }
}

# No WAF by default (a web ACL costs a monthly fee): var.waf_rate_limit makes one (edge.tf), or
# var.web_acl_id attaches your own. Standard logs are the v2 kind, behind var.cdn_access_logs
# (edge.tf); tfsec only knows the legacy logging_config block, which needs an ACL-enabled bucket.
# With the default *.cloudfront.net certificate CloudFront itself fixes the viewer TLS policy;
# with var.acm_certificate_arn set, the minimum is TLSv1.2_2021.
#tfsec:ignore:aws-cloudfront-enable-waf
#tfsec:ignore:aws-cloudfront-enable-logging
#tfsec:ignore:aws-cloudfront-use-secure-tls-policy
resource "aws_cloudfront_distribution" "cdn" {
  enabled         = true
  comment         = "${var.name}: image variants from ${local.origin_function_name}"
  aliases         = var.aliases
  price_class     = var.price_class
  http_version    = "http2and3"
  is_ipv6_enabled = true
  web_acl_id      = local.web_acl_arn

  origin {
    origin_id                = local.cdn_origin_id
    domain_name              = local.function_url_host
    origin_access_control_id = aws_cloudfront_origin_access_control.origin.id

    custom_origin_config {
      http_port                = 80
      https_port               = 443
      origin_protocol_policy   = "https-only"
      origin_ssl_protocols     = ["TLSv1.2"]
      origin_read_timeout      = var.origin_read_timeout_s
      origin_keepalive_timeout = 5
    }

    # Optional: one regional cache in front of the function for every edge (var.origin_shield_region).
    dynamic "origin_shield" {
      for_each = var.origin_shield_region == null ? [] : [var.origin_shield_region]

      content {
        enabled              = true
        origin_shield_region = origin_shield.value
      }
    }
  }

  default_cache_behavior {
    target_origin_id         = local.cdn_origin_id
    viewer_protocol_policy   = var.viewer_protocol_policy
    allowed_methods          = ["GET", "HEAD"]
    cached_methods           = ["GET", "HEAD"]
    compress                 = false # JPEG/PNG/WebP/AVIF are compressed already
    cache_policy_id          = aws_cloudfront_cache_policy.path_only.id
    origin_request_policy_id = aws_cloudfront_origin_request_policy.nothing_from_viewer.id

    function_association {
      event_type   = "viewer-request"
      function_arn = aws_cloudfront_function.viewer_request.arn
    }
  }

  # Errors are kept briefly: a 404 for an original that is uploaded a moment later, or a 503
  # during a storage hiccup, must not stick (local.not_found_edge_ttl_s).
  dynamic "custom_error_response" {
    for_each = local.cached_error_codes

    content {
      error_code            = custom_error_response.value
      error_caching_min_ttl = var.error_caching_min_ttl
    }
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = var.acm_certificate_arn == null
    acm_certificate_arn            = var.acm_certificate_arn
    ssl_support_method             = var.acm_certificate_arn == null ? null : "sni-only"
    minimum_protocol_version       = var.acm_certificate_arn == null ? "TLSv1" : "TLSv1.2_2021"
  }

  lifecycle {
    precondition {
      condition     = length(var.aliases) == 0 || var.acm_certificate_arn != null
      error_message = "aliases need acm_certificate_arn (an ACM certificate in us-east-1 that covers them)."
    }
    precondition {
      condition     = var.web_acl_id == null || var.waf_rate_limit == null
      error_message = "web_acl_id and waf_rate_limit exclude each other: add a rate-based rule to your own web ACL instead."
    }
  }
}

# ---- The function admits this distribution, and only it -------------------------------------

resource "aws_lambda_permission" "cloudfront_invokes_url" {
  statement_id           = "AllowCloudFrontInvokeFunctionUrl"
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = aws_lambda_function.origin.function_name
  principal              = "cloudfront.amazonaws.com"
  source_arn             = aws_cloudfront_distribution.cdn.arn
  function_url_auth_type = "AWS_IAM"
}

resource "aws_lambda_permission" "cloudfront_invokes_function" {
  statement_id             = "AllowCloudFrontInvokeFunctionViaUrl"
  action                   = "lambda:InvokeFunction"
  function_name            = aws_lambda_function.origin.function_name
  principal                = "cloudfront.amazonaws.com"
  source_arn               = aws_cloudfront_distribution.cdn.arn
  invoked_via_function_url = true
}

# ---- the viewer-request function (edge/viewer-request.js, docs/EDGE.md) ----------------------
# Picks the format from Accept or ?format=, rewrites the path into the origin path (format token,
# size, key in unreserved characters only, so that origin access control signs what the
# function URL verifies), and answers 400 for junk before it reaches, or bills, the origin. It
# runs before the cache lookup: the rewritten path is the cache key (at most three entries per
# URL), so the cache policy stays path-only. The allowlist is substituted into the file by the
# same literal replacement the node tests make (terraform/wiring_test.go checks it).

locals {
  viewer_request_code = replace(file("${path.module}/../edge/viewer-request.js"), "__ALLOWED_SIZES__", join(",", var.sizes))
}

resource "aws_cloudfront_function" "viewer_request" {
  name    = "${var.name}-viewer-request"
  runtime = "cloudfront-js-2.0"
  comment = "Format from Accept or ?format=, origin path of unreserved characters, 400 for junk"
  publish = true
  code    = local.viewer_request_code

  lifecycle {
    precondition {
      condition     = length(local.viewer_request_code) <= 10240
      error_message = "The viewer-request function is over CloudFront Functions' 10 KB limit."
    }
  }
}

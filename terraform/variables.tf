# Defaults of the service settings are the defaults of handler/config (config.go);
# terraform/wiring_test.go fails if the two drift apart.

# ---- Naming and placement -------------------------------------------------------------------

variable "name" {
  description = "Prefix of every resource name (functions, topic, queue, buckets, distribution comment)."
  type        = string
  default     = "imgorigin"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,23}$", var.name))
    error_message = "name: 1-24 characters, lower-case letters, digits and '-' (it becomes part of S3 bucket names)."
  }
}

variable "region" {
  description = "AWS region of the bucket and the functions. null: the provider's usual sources (AWS_REGION, profile)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource (a Project tag with var.name is always set)."
  type        = map(string)
  default     = {}
}

# ---- Bucket ---------------------------------------------------------------------------------

variable "bucket_name" {
  description = "Exact name of the image bucket. null: a unique name starting with \"<name>-images-\"."
  type        = string
  default     = null
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete the image bucket even when it still holds originals."
  type        = bool
  default     = false
}

variable "noncurrent_version_expiration_days" {
  description = "The image bucket is versioned, so a replaced or deleted original can be restored; its older versions are deleted after this many days. Variants (regenerable) keep theirs for 1 day."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days: a whole number, at least 1."
  }
}

# ---- Service settings (environment of the functions; see handler/config) ---------------------

variable "originals_prefix" {
  description = "ORIGINALS_PREFIX: key prefix under which originals are uploaded. Also the filter of the bucket notification and the only prefix the functions may read originals from."
  type        = string
  default     = "originals/"

  validation {
    condition     = can(regex("^[^/].*/$", var.originals_prefix)) && !can(regex("^[0-9]+x[0-9]+/", var.originals_prefix))
    error_message = "originals_prefix: a key prefix such as \"originals/\" (no leading '/', a trailing '/'), and not of the variant form <W>x<H>/."
  }
}

variable "sizes" {
  description = "SIZES: the allowlist of variant sizes, \"<W>x<H>\". Each one is a key prefix <W>x<H>/ that the functions may write, and a URL prefix that CloudFront serves."
  type        = list(string)
  default     = ["800x600", "400x300", "200x150"]

  validation {
    condition     = length(var.sizes) > 0 && alltrue([for s in var.sizes : can(regex("^[1-9][0-9]{0,4}x[1-9][0-9]{0,4}$", s))])
    error_message = "sizes: at least one size, each \"<W>x<H>\" with positive whole numbers, such as \"800x600\"."
  }
}

variable "prewarm_sizes" {
  description = "PREWARM_SIZES: sizes made as soon as an original is uploaded; a subset of sizes. null: all of sizes."
  type        = list(string)
  default     = null
}

variable "prewarm_formats" {
  description = "PREWARM_FORMATS: formats (original, webp, avif) made at every pre-warm size as soon as an original is uploaded, from one decode. AVIF is made on a viewer's first request unless listed (docs/PERFORMANCE.md has its cost)."
  type        = list(string)
  default     = ["original", "webp"]

  validation {
    condition     = length(var.prewarm_formats) > 0 && alltrue([for f in var.prewarm_formats : contains(["original", "webp", "avif"], f)]) && length(distinct(var.prewarm_formats)) == length(var.prewarm_formats)
    error_message = "prewarm_formats: one or more of original, webp, avif, each once."
  }
}

variable "jpeg_quality" {
  description = "JPEG_QUALITY: quality of JPEG variants, 1..100."
  type        = number
  default     = 80

  validation {
    condition     = var.jpeg_quality >= 1 && var.jpeg_quality <= 100 && floor(var.jpeg_quality) == var.jpeg_quality
    error_message = "jpeg_quality: a whole number 1..100."
  }
}

variable "cache_control" {
  description = "CACHE_CONTROL: Cache-Control of every 200/304: browsers revalidate after max-age (a 304 from CloudFront), CloudFront keeps a variant for s-maxage until the pre-warm function invalidates it when its original changes."
  type        = string
  default     = "public, max-age=300, s-maxage=31536000"
}

variable "error_cache_control" {
  description = "ERROR_CACHE_CONTROL: Cache-Control of every 4xx, kept short so CloudFront does not pin an error."
  type        = string
  default     = "public, max-age=60"
}

variable "lru_bytes" {
  description = "LRU_BYTES: in-process variant cache of the origin function, in bytes (0 turns it off). Counts against origin_memory_mb."
  type        = number
  default     = 67108864 # 64 MiB

  # handler/config: a whole number >= 0 that fits an int64.
  validation {
    condition     = var.lru_bytes >= 0 && var.lru_bytes <= 9223372036854775807 && floor(var.lru_bytes) == var.lru_bytes
    error_message = "lru_bytes: a whole number >= 0 (0 turns the cache off)."
  }
}

variable "lru_ttl" {
  description = "LRU_TTL: how long a warm origin process may serve a variant from its in-process cache (a Go duration such as \"60s\"); bounds how long a replaced original can still be seen from one container."
  type        = string
  default     = "60s"

  validation {
    condition     = can(regex("^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$", var.lru_ttl))
    error_message = "lru_ttl: a Go duration such as \"60s\", \"1m30s\" or \"500ms\"."
  }
}

variable "max_source_bytes" {
  description = "MAX_SOURCE_BYTES: originals larger than this are refused with 422."
  type        = number
  default     = 41943040 # 40 MiB

  # handler/config: a whole number >= 1 that fits an int64.
  validation {
    condition     = var.max_source_bytes >= 1 && var.max_source_bytes <= 9223372036854775807 && floor(var.max_source_bytes) == var.max_source_bytes
    error_message = "max_source_bytes: a whole number >= 1."
  }
}

variable "max_source_pixels" {
  description = "MAX_SOURCE_PIXELS: originals whose declared width*height is larger are refused with 422 before decoding."
  type        = number
  default     = 100000000

  # handler/config: a whole number >= 1 that fits an int64.
  validation {
    condition     = var.max_source_pixels >= 1 && var.max_source_pixels <= 9223372036854775807 && floor(var.max_source_pixels) == var.max_source_pixels
    error_message = "max_source_pixels: a whole number >= 1."
  }
}

variable "max_frames" {
  description = "MAX_FRAMES: animated originals with more frames are refused with 422."
  type        = number
  default     = 200

  # handler/config: a whole number >= 1 that fits an int64.
  validation {
    condition     = var.max_frames >= 1 && var.max_frames <= 9223372036854775807 && floor(var.max_frames) == var.max_frames
    error_message = "max_frames: a whole number >= 1."
  }
}

# ---- Functions ------------------------------------------------------------------------------

variable "architecture" {
  description = "Lambda architecture. `make package` builds x86_64 zips only; arm64 needs an arm64 build of bootstrap and of the bundled libvips closure first, then widen the validation below."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64"], var.architecture)
    error_message = "architecture: only x86_64 until `make package` builds arm64 zips (the bundled libvips and loader are x86_64)."
  }
}

variable "origin_memory_mb" {
  description = "Memory of the origin function. CPU scales with memory (1769 MB = one full vCPU); a 24 MP JPEG miss peaks near 64 MB RSS, the worst admitted input (a 50 MP HEIC) near 410 MB (docs/PERFORMANCE.md)."
  type        = number
  default     = 1024

  validation {
    condition     = var.origin_memory_mb >= 512 && var.origin_memory_mb <= 10240 && floor(var.origin_memory_mb) == var.origin_memory_mb
    error_message = "origin_memory_mb: a whole number of MB, 512..10240."
  }
}

variable "origin_timeout_s" {
  description = "Timeout of the origin function in seconds. Must stay below origin_read_timeout_s so CloudFront does not give up first, and above work_timeout_s."
  type        = number
  default     = 15

  validation {
    condition     = var.origin_timeout_s >= 1 && var.origin_timeout_s <= 900 && floor(var.origin_timeout_s) == var.origin_timeout_s
    error_message = "origin_timeout_s: whole seconds, 1..900."
  }
}

variable "prewarm_memory_mb" {
  description = "Memory of the pre-warm function (1769 MB = one full vCPU; it makes every pre-warm size of one upload in a row)."
  type        = number
  default     = 1769

  validation {
    condition     = var.prewarm_memory_mb >= 512 && var.prewarm_memory_mb <= 10240 && floor(var.prewarm_memory_mb) == var.prewarm_memory_mb
    error_message = "prewarm_memory_mb: a whole number of MB, 512..10240."
  }
}

variable "prewarm_timeout_s" {
  description = "Timeout of the pre-warm function in seconds."
  type        = number
  default     = 60

  validation {
    condition     = var.prewarm_timeout_s >= 1 && var.prewarm_timeout_s <= 900 && floor(var.prewarm_timeout_s) == var.prewarm_timeout_s
    error_message = "prewarm_timeout_s: whole seconds, 1..900."
  }
}

variable "vips_concurrency" {
  description = "VIPS_CONCURRENCY: libvips worker threads per image. null: one per full vCPU of each function's memory size (at least 1)."
  type        = number
  default     = null

  validation {
    condition     = var.vips_concurrency == null ? true : var.vips_concurrency >= 1 && var.vips_concurrency <= 64 && floor(var.vips_concurrency) == var.vips_concurrency
    error_message = "vips_concurrency: null or a whole number 1..64."
  }
}

variable "crop" {
  description = "CROP: where an original without a focal-point metadata is cropped. centre, or attention / entropy (libvips smartcrop, once per original at pre-warm, recorded in its /meta document; README has the costs)."
  type        = string
  default     = "centre"

  # handler/config: exactly these (lower case accepted there too).
  validation {
    condition     = contains(["centre", "attention", "entropy"], var.crop)
    error_message = "crop: centre, attention or entropy."
  }
}

variable "work_timeout_s" {
  description = "WORK_TIMEOUT of the origin function, seconds: the longest one miss (fetch, resize, store) may take, whoever waits for it; then the request is a 504 and the function is still alive to answer and log it. null: origin_timeout_s - 3 (at least 1). Must be below origin_timeout_s."
  type        = number
  default     = null

  # handler/config: a duration above 0 that fits Go's time.Duration (Terraform passes "<n>s").
  validation {
    condition     = var.work_timeout_s == null ? true : var.work_timeout_s > 0 && var.work_timeout_s <= 9223372036
    error_message = "work_timeout_s: null or a number of seconds above 0."
  }
}

variable "prewarm_reserved_concurrency" {
  description = "Reserved concurrency of the pre-warm function: at most this many uploads are processed at once, so a bulk upload cannot take the account's concurrency from the origin function (viewers). Events beyond it wait in Lambda's asynchronous queue, up to prewarm_max_event_age_s. Size it so that uploads * seconds per upload / this < prewarm_max_event_age_s (README: running it in production)."
  type        = number
  default     = 10

  validation {
    condition     = var.prewarm_reserved_concurrency >= 1 && var.prewarm_reserved_concurrency <= 10000 && floor(var.prewarm_reserved_concurrency) == var.prewarm_reserved_concurrency
    error_message = "prewarm_reserved_concurrency: a whole number 1..10000 (0 would stop pre-warming altogether)."
  }
}

variable "origin_reserved_concurrency" {
  description = "Optional cap (reserved concurrency) of the origin function: bounds its cost and its share of the account under a flood of misses; requests beyond it are throttled (CloudFront answers 5xx for them). null: no reservation, the account's unreserved pool."
  type        = number
  default     = null

  validation {
    condition     = var.origin_reserved_concurrency == null ? true : var.origin_reserved_concurrency >= 1 && var.origin_reserved_concurrency <= 10000 && floor(var.origin_reserved_concurrency) == var.origin_reserved_concurrency
    error_message = "origin_reserved_concurrency: null or a whole number 1..10000."
  }
}

variable "prewarm_max_retries" {
  description = "Retries of a failed asynchronous pre-warm invocation (0..2) before the event goes to the failure queue."
  type        = number
  default     = 2

  validation {
    condition     = var.prewarm_max_retries >= 0 && var.prewarm_max_retries <= 2 && floor(var.prewarm_max_retries) == var.prewarm_max_retries
    error_message = "prewarm_max_retries: 0..2."
  }
}

variable "prewarm_max_event_age_s" {
  description = "Age (seconds, 60..21600) after which an unprocessed pre-warm event goes to the failure queue."
  type        = number
  default     = 3600

  validation {
    condition     = var.prewarm_max_event_age_s >= 60 && var.prewarm_max_event_age_s <= 21600 && floor(var.prewarm_max_event_age_s) == var.prewarm_max_event_age_s
    error_message = "prewarm_max_event_age_s: 60..21600."
  }
}

variable "failure_retention_s" {
  description = "How long failed pre-warm events stay in the failure queue, seconds (max 14 days)."
  type        = number
  default     = 1209600

  validation {
    condition     = var.failure_retention_s >= 60 && var.failure_retention_s <= 1209600 && floor(var.failure_retention_s) == var.failure_retention_s
    error_message = "failure_retention_s: whole seconds, 60..1209600 (SQS's bounds)."
  }
}

variable "log_retention_days" {
  description = "Retention of the functions' CloudWatch log groups, in days."
  type        = number
  default     = 14

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days: one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

# ---- CloudFront -----------------------------------------------------------------------------

variable "price_class" {
  description = "CloudFront price class: PriceClass_100 (North America, Europe), PriceClass_200, PriceClass_All."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.price_class)
    error_message = "price_class: PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "aliases" {
  description = "Custom domain names of the distribution (CNAMEs). Needs acm_certificate_arn. Point the DNS records at cloudfront_domain_name yourself."
  type        = list(string)
  default     = []
}

variable "acm_certificate_arn" {
  description = "ACM certificate (in us-east-1) covering aliases. null: the default *.cloudfront.net certificate."
  type        = string
  default     = null
}

variable "web_acl_id" {
  description = "Optional AWS WAF web ACL of your own (ARN, CLOUDFRONT scope, in us-east-1) to attach to the distribution. Not together with waf_rate_limit."
  type        = string
  default     = null
}

variable "waf_rate_limit" {
  description = "Optional WAF rate-based rule (edge.tf): a viewer IP making more than this many requests in 5 minutes is answered 403 at the edge until its rate drops. Bounds cache-busting floods (each unique junk URL is an origin invocation). Costs a web ACL (5 USD/month) + a rule (1 USD/month) + 0.60 USD per million requests. null: off."
  type        = number
  default     = null

  validation {
    condition     = var.waf_rate_limit == null ? true : var.waf_rate_limit >= 10 && var.waf_rate_limit <= 2000000000 && floor(var.waf_rate_limit) == var.waf_rate_limit
    error_message = "waf_rate_limit: null or a whole number 10..2000000000 (WAF's bounds for a rate-based rule)."
  }
}

variable "origin_shield_region" {
  description = "Optional CloudFront Origin Shield in this region (pick the one nearest the function, e.g. \"eu-west-1\"): every edge's miss goes through one regional cache first, so one object costs at most one origin invocation instead of one per regional edge cache. Costs 0.0075-0.016 USD per 10,000 requests that reach it (misses of the regional edge caches). null: off."
  type        = string
  default     = null

  validation {
    condition     = var.origin_shield_region == null ? true : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.origin_shield_region))
    error_message = "origin_shield_region: null or an AWS region name such as \"eu-west-1\"."
  }
}

variable "cdn_access_logs" {
  description = "CloudFront standard logs (v2) into a CloudWatch Logs group in us-east-1 (edge.tf): one JSON line per viewer request, edge hits, OAC 403s and blocked requests included. Costs 0.50 USD per GB ingested (vended logs) plus storage for log_retention_days."
  type        = bool
  default     = false
}

variable "viewer_protocol_policy" {
  description = "redirect-to-https (http:// gets a 301 to https://) or https-only (http:// gets a 403)."
  type        = string
  default     = "redirect-to-https"

  validation {
    condition     = contains(["redirect-to-https", "https-only"], var.viewer_protocol_policy)
    error_message = "viewer_protocol_policy: redirect-to-https or https-only."
  }
}

variable "origin_read_timeout_s" {
  description = "How long CloudFront waits for the function URL (seconds, 1..60 without a quota increase)."
  type        = number
  default     = 30

  validation {
    condition     = var.origin_read_timeout_s >= 1 && var.origin_read_timeout_s <= 180 && floor(var.origin_read_timeout_s) == var.origin_read_timeout_s
    error_message = "origin_read_timeout_s: 1..180 (above 60 needs a CloudFront quota increase)."
  }
}

variable "error_caching_min_ttl" {
  description = "Seconds CloudFront keeps an error answer (4xx/5xx) at least; longer if the answer's own Cache-Control says so (ERROR_CACHE_CONTROL for 4xx)."
  type        = number
  default     = 10

  validation {
    condition     = var.error_caching_min_ttl >= 0 && var.error_caching_min_ttl <= 300 && floor(var.error_caching_min_ttl) == var.error_caching_min_ttl
    error_message = "error_caching_min_ttl: 0..300 seconds; errors must not stick."
  }
}

# ---- Monitoring -----------------------------------------------------------------------------

variable "alarm_topic_arn" {
  description = "SNS topic that every alarm notifies when it fires and when it recovers (for example your team's existing topic). null: this module creates \"<name>-alarms\" (output alarm_topic_arn); subscribe to it."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_topic_arn == null ? true : can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.alarm_topic_arn))
    error_message = "alarm_topic_arn: null or the ARN of an SNS topic."
  }
}

variable "origin_5xx_alarm_percent" {
  description = "Alarm when more than this percentage of origin requests answer 5xx, in two consecutive 5-minute periods."
  type        = number
  default     = 5

  validation {
    condition     = var.origin_5xx_alarm_percent > 0 && var.origin_5xx_alarm_percent <= 100
    error_message = "origin_5xx_alarm_percent: above 0, at most 100."
  }
}

variable "origin_duration_alarm_percent" {
  description = "Alarm when the origin function's longest invocation in 5 minutes takes more than this percentage of origin_timeout_s (misses about to time out)."
  type        = number
  default     = 80

  validation {
    condition     = var.origin_duration_alarm_percent > 0 && var.origin_duration_alarm_percent <= 100
    error_message = "origin_duration_alarm_percent: above 0, at most 100."
  }
}

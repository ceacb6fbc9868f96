// Package config reads the service's configuration from the environment, once, in cmd/.
// The same names are used locally and on Lambda; Terraform sets them (terraform/lambda.tf).
package config

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/imgorigin/imgorigin/handler/size"
)

// The environment variables the service reads. Vars lists every one of them, so that a test can
// check that Terraform sets exactly these (terraform/wiring_test.go).
const (
	EnvBucket          = "IMAGE_BUCKET"
	EnvOriginalsPrefix = "ORIGINALS_PREFIX"
	EnvSizes           = "SIZES"
	EnvPrewarmSizes    = "PREWARM_SIZES"
	EnvPathStyle       = "S3_PATH_STYLE"
	EnvJPEGQuality     = "JPEG_QUALITY"
	EnvCacheControl    = "CACHE_CONTROL"
	EnvErrorCache      = "ERROR_CACHE_CONTROL"
	EnvLRUBytes        = "LRU_BYTES"
	EnvLRUTTL          = "LRU_TTL"
	EnvMaxSourceBytes  = "MAX_SOURCE_BYTES"
	EnvMaxSourcePixels = "MAX_SOURCE_PIXELS"
	EnvMaxFrames       = "MAX_FRAMES"
	EnvDistributionID  = "CLOUDFRONT_DISTRIBUTION_ID"
	EnvWorkTimeout     = "WORK_TIMEOUT"
)

// Vars is every variable Load reads (the SDK's own AWS_* variables aside).
var Vars = []string{
	EnvBucket, EnvOriginalsPrefix, EnvSizes, EnvPrewarmSizes, EnvPathStyle, EnvJPEGQuality,
	EnvCacheControl, EnvErrorCache, EnvLRUBytes, EnvLRUTTL, EnvMaxSourceBytes, EnvMaxSourcePixels, EnvMaxFrames,
	EnvDistributionID, EnvWorkTimeout,
}

// Defaults.
const (
	DefaultOriginalsPrefix = "originals/"
	DefaultSizes           = "800x600,400x300,200x150"
	DefaultJPEGQuality     = 80
	DefaultCacheControl    = "public, max-age=31536000, immutable"
	DefaultErrorCache      = "public, max-age=60"
	DefaultLRUBytes        = 64 << 20
	DefaultLRUTTL          = 60 * time.Second
	DefaultMaxSourceBytes  = 40 << 20
	DefaultMaxSourcePixels = 100_000_000
	DefaultMaxFrames       = 200
	DefaultWorkTimeout     = 25 * time.Second
)

// Config is the whole configuration. Zero values are not valid; start from Default or Load.
type Config struct {
	Bucket            string        // empty: serve a local folder
	OriginalsPrefix   string        // key prefix of originals, ends in "/"
	Sizes             []size.Size   // the allowlist
	PrewarmSizes      []size.Size   // made on upload; a subset of Sizes
	PathStyle         bool          // S3 path-style addressing (S3-compatible servers)
	JPEGQuality       int           // 1..100
	CacheControl      string        // on every 200/304
	ErrorCacheControl string        // on every 4xx
	LRUBytes          int64         // in-process variant cache, bytes; 0 turns it off
	LRUTTL            time.Duration // how long a warm process may serve a cached variant
	MaxSourceBytes    int64         // originals larger than this are refused (422)
	MaxSourcePixels   int64         // declared width*height above this is refused before decoding (422)
	MaxFrames         int           // animation frames above this are refused (422)
	DistributionID    string        // CloudFront distribution to invalidate when an original changes
	WorkTimeout       time.Duration // bounds a shared miss (fetch, resize, store); below the function's timeout
}

// Default returns the configuration with every default applied.
func Default() Config {
	sizes, _ := size.ParseList(DefaultSizes)
	return Config{
		OriginalsPrefix:   DefaultOriginalsPrefix,
		Sizes:             sizes,
		PrewarmSizes:      sizes,
		JPEGQuality:       DefaultJPEGQuality,
		CacheControl:      DefaultCacheControl,
		ErrorCacheControl: DefaultErrorCache,
		LRUBytes:          DefaultLRUBytes,
		LRUTTL:            DefaultLRUTTL,
		MaxSourceBytes:    DefaultMaxSourceBytes,
		MaxSourcePixels:   DefaultMaxSourcePixels,
		MaxFrames:         DefaultMaxFrames,
		WorkTimeout:       DefaultWorkTimeout,
	}
}

// Load reads the environment through getenv (os.Getenv in production) over the defaults and
// validates the result. Every error names the variable.
func Load(getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	c := Default()
	var errs []error
	str := func(name string, dst *string) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			*dst = v
		}
	}
	num := func(name string, dst *int64) {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a whole number >= 0", name, v))
			return
		}
		*dst = n
	}
	sizes := func(name string, dst *[]size.Size) {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return
		}
		l, err := size.ParseList(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
			return
		}
		*dst = l
	}

	str(EnvBucket, &c.Bucket)
	str(EnvOriginalsPrefix, &c.OriginalsPrefix)
	sizes(EnvSizes, &c.Sizes)
	c.PrewarmSizes = c.Sizes
	sizes(EnvPrewarmSizes, &c.PrewarmSizes)
	if v := strings.TrimSpace(getenv(EnvPathStyle)); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: want true or false", EnvPathStyle, v))
		}
		c.PathStyle = b
	}
	q := int64(c.JPEGQuality)
	num(EnvJPEGQuality, &q)
	c.JPEGQuality = int(q)
	str(EnvCacheControl, &c.CacheControl)
	str(EnvErrorCache, &c.ErrorCacheControl)
	num(EnvLRUBytes, &c.LRUBytes)
	if v := strings.TrimSpace(getenv(EnvLRUTTL)); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a duration such as 60s", EnvLRUTTL, v))
		}
		c.LRUTTL = d
	}
	num(EnvMaxSourceBytes, &c.MaxSourceBytes)
	num(EnvMaxSourcePixels, &c.MaxSourcePixels)
	f := int64(c.MaxFrames)
	num(EnvMaxFrames, &f)
	c.MaxFrames = int(f)
	str(EnvDistributionID, &c.DistributionID)
	if v := strings.TrimSpace(getenv(EnvWorkTimeout)); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a duration such as 25s", EnvWorkTimeout, v))
		}
		c.WorkTimeout = d
	}

	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	return c, c.Validate()
}

// Validate reports the first inconsistency, naming the variable that causes it.
func (c Config) Validate() error {
	var errs []error
	if !strings.HasSuffix(c.OriginalsPrefix, "/") || strings.HasPrefix(c.OriginalsPrefix, "/") {
		errs = append(errs, fmt.Errorf("%s=%q: want a key prefix such as %q (no leading /, trailing /)", EnvOriginalsPrefix, c.OriginalsPrefix, DefaultOriginalsPrefix))
	} else if _, _, err := size.ParseKey(c.OriginalsPrefix + "x"); err == nil {
		errs = append(errs, fmt.Errorf("%s=%q: must not look like a variant prefix <W>x<H>/", EnvOriginalsPrefix, c.OriginalsPrefix))
	}
	if len(c.Sizes) == 0 {
		errs = append(errs, fmt.Errorf("%s: at least one size is needed", EnvSizes))
	}
	allowed := size.NewAllowlist(c.Sizes)
	for _, s := range c.PrewarmSizes {
		if !allowed.Allows(s) {
			errs = append(errs, fmt.Errorf("%s: %v is not in %s", EnvPrewarmSizes, s, EnvSizes))
		}
	}
	if c.JPEGQuality < 1 || c.JPEGQuality > 100 {
		errs = append(errs, fmt.Errorf("%s=%d: want 1..100", EnvJPEGQuality, c.JPEGQuality))
	}
	if c.MaxSourceBytes == 0 {
		errs = append(errs, fmt.Errorf("%s: must be above 0", EnvMaxSourceBytes))
	}
	if c.MaxSourcePixels == 0 {
		errs = append(errs, fmt.Errorf("%s: must be above 0", EnvMaxSourcePixels))
	}
	if c.MaxFrames == 0 {
		errs = append(errs, fmt.Errorf("%s: must be above 0", EnvMaxFrames))
	}
	return errors.Join(errs...)
}

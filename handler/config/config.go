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

	"github.com/imgorigin/imgorigin/handler/focus"
	"github.com/imgorigin/imgorigin/handler/size"
	"github.com/imgorigin/imgorigin/handler/variantpath"
)

// The environment variables the service reads. Vars lists every one of them, so that a test can
// check that Terraform sets exactly these (terraform/wiring_test.go).
const (
	EnvBucket          = "IMAGE_BUCKET"
	EnvOriginalsPrefix = "ORIGINALS_PREFIX"
	EnvSizes           = "SIZES"
	EnvPrewarmSizes    = "PREWARM_SIZES"
	EnvPrewarmFormats  = "PREWARM_FORMATS"
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
	EnvCrop            = "CROP"
)

// Vars is every variable Load reads (the SDK's own AWS_* variables aside).
var Vars = []string{
	EnvBucket, EnvOriginalsPrefix, EnvSizes, EnvPrewarmSizes, EnvPrewarmFormats, EnvPathStyle, EnvJPEGQuality,
	EnvCacheControl, EnvErrorCache, EnvLRUBytes, EnvLRUTTL, EnvMaxSourceBytes, EnvMaxSourcePixels, EnvMaxFrames,
	EnvDistributionID, EnvWorkTimeout, EnvCrop,
}

// Defaults.
const (
	DefaultOriginalsPrefix = "originals/"
	DefaultSizes           = "800x600,400x300,200x150"
	DefaultJPEGQuality     = 80
	// AVIF is left out of the default pre-warm: with it the pre-warm's CPU goes past the bound
	// the edge issue set (docs/PERFORMANCE.md), while a viewer's first request makes it at a
	// miss's cost; its quality settings were also measured on four photos only.
	DefaultPrewarmFormats = "original,webp"
	// Browsers keep a variant for five minutes, then revalidate with its ETag (a 304 from
	// CloudFront's copy); CloudFront keeps it a year (s-maxage) until a replace invalidates
	// it. A variant's URL keeps its name when its original is replaced, so it is never
	// "immutable" for a browser.
	DefaultCacheControl    = "public, max-age=300, s-maxage=31536000"
	DefaultErrorCache      = "public, max-age=60"
	DefaultLRUBytes        = 64 << 20
	DefaultLRUTTL          = 60 * time.Second
	DefaultMaxSourceBytes  = 40 << 20
	DefaultMaxSourcePixels = 100_000_000
	DefaultMaxFrames       = 200
	DefaultWorkTimeout     = 25 * time.Second
	DefaultCrop            = focus.FromCentre
)

// Config is the whole configuration. Zero values are not valid; start from Default or Load.
type Config struct {
	Bucket            string               // empty: serve a local folder
	OriginalsPrefix   string               // key prefix of originals, ends in "/"
	Sizes             []size.Size          // the allowlist
	PrewarmSizes      []size.Size          // made on upload; a subset of Sizes
	PrewarmFormats    []variantpath.Format // made on upload, each at every pre-warm size
	PathStyle         bool                 // S3 path-style addressing (S3-compatible servers)
	JPEGQuality       int                  // 1..100
	CacheControl      string               // on every 200/304
	ErrorCacheControl string               // on every 4xx
	LRUBytes          int64                // in-process variant cache, bytes; 0 turns it off
	LRUTTL            time.Duration        // how long a warm process may serve a cached variant
	MaxSourceBytes    int64                // originals larger than this are refused (422)
	MaxSourcePixels   int64                // declared width*height above this is refused before decoding (422)
	MaxFrames         int                  // animation frames above this are refused (422)
	DistributionID    string               // CloudFront distribution to invalidate when an original changes
	WorkTimeout       time.Duration        // bounds one miss's work (fetch, resize, store), whoever waits for it
	// Crop is the crop policy where an original has no focal point: centre, attention or
	// entropy (libvips smartcrop, once per original, recorded in its /meta document).
	Crop focus.Source
}

// Default returns the configuration with every default applied.
func Default() Config {
	sizes, _ := size.ParseList(DefaultSizes)
	return Config{
		OriginalsPrefix:   DefaultOriginalsPrefix,
		Sizes:             sizes,
		PrewarmSizes:      sizes,
		PrewarmFormats:    must(variantpath.ParseFormats(DefaultPrewarmFormats)),
		JPEGQuality:       DefaultJPEGQuality,
		CacheControl:      DefaultCacheControl,
		ErrorCacheControl: DefaultErrorCache,
		LRUBytes:          DefaultLRUBytes,
		LRUTTL:            DefaultLRUTTL,
		MaxSourceBytes:    DefaultMaxSourceBytes,
		MaxSourcePixels:   DefaultMaxSourcePixels,
		MaxFrames:         DefaultMaxFrames,
		WorkTimeout:       DefaultWorkTimeout,
		Crop:              DefaultCrop,
	}
}

// Load reads the environment through getenv (os.Getenv in production) over the defaults and
// validates the result. Every error names the variable.
func Load(getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	c := Default()
	e := &env{getenv: getenv}
	read(e, EnvBucket, &c.Bucket, text)
	read(e, EnvOriginalsPrefix, &c.OriginalsPrefix, text)
	read(e, EnvSizes, &c.Sizes, size.ParseList)
	c.PrewarmSizes = c.Sizes // PREWARM_SIZES defaults to SIZES
	read(e, EnvPrewarmSizes, &c.PrewarmSizes, size.ParseList)
	read(e, EnvPrewarmFormats, &c.PrewarmFormats, variantpath.ParseFormats)
	read(e, EnvPathStyle, &c.PathStyle, boolean)
	read(e, EnvJPEGQuality, &c.JPEGQuality, whole[int])
	read(e, EnvCacheControl, &c.CacheControl, text)
	read(e, EnvErrorCache, &c.ErrorCacheControl, text)
	read(e, EnvLRUBytes, &c.LRUBytes, whole[int64])
	read(e, EnvLRUTTL, &c.LRUTTL, duration)
	read(e, EnvMaxSourceBytes, &c.MaxSourceBytes, whole[int64])
	read(e, EnvMaxSourcePixels, &c.MaxSourcePixels, whole[int64])
	read(e, EnvMaxFrames, &c.MaxFrames, whole[int])
	read(e, EnvDistributionID, &c.DistributionID, text)
	read(e, EnvWorkTimeout, &c.WorkTimeout, duration)
	read(e, EnvCrop, &c.Crop, cropPolicy)
	if err := errors.Join(e.errs...); err != nil {
		return Config{}, err
	}
	return c, c.Validate()
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// env is the environment being read and the parse errors found so far.
type env struct {
	getenv func(string) string
	errs   []error
}

// read sets *dst to parse(value) when the variable is set; blank (only spaces) means unset,
// so the default stays. A parse error is kept, naming the variable and its value.
func read[T any](e *env, name string, dst *T, parse func(string) (T, error)) {
	v := strings.TrimSpace(e.getenv(name))
	if v == "" {
		return
	}
	x, err := parse(v)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: %w", name, v, err))
		return
	}
	*dst = x
}

// The parsers read uses; each error says what is wanted.

func text(v string) (string, error) { return v, nil }

func boolean(v string) (bool, error) {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errors.New("want true or false")
	}
	return b, nil
}

func whole[T int | int64](v string) (T, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, errors.New("want a whole number >= 0")
	}
	return T(n), nil
}

func cropPolicy(v string) (focus.Source, error) {
	switch p := focus.Source(strings.ToLower(v)); p {
	case focus.FromCentre, focus.FromAttention, focus.FromEntropy:
		return p, nil
	}
	return "", errors.New("want centre, attention or entropy")
}

func duration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, errors.New("want a duration above 0 such as 60s")
	}
	return d, nil
}

// Validate reports the first inconsistency, naming the variable that causes it.
func (c Config) Validate() error {
	var errs []error
	if !strings.HasSuffix(c.OriginalsPrefix, "/") || strings.HasPrefix(c.OriginalsPrefix, "/") {
		errs = append(errs, fmt.Errorf("%s=%q: want a key prefix such as %q (no leading /, trailing /)", EnvOriginalsPrefix, c.OriginalsPrefix, DefaultOriginalsPrefix))
	} else if variantpath.IsReservedPrefix(c.OriginalsPrefix) {
		errs = append(errs, fmt.Errorf("%s=%q: must not start with a variant prefix (original/, webp/, avif/, meta/ or <W>x<H>/)", EnvOriginalsPrefix, c.OriginalsPrefix))
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
	if c.WorkTimeout <= 0 {
		errs = append(errs, fmt.Errorf("%s: must be above 0", EnvWorkTimeout))
	}
	return errors.Join(errs...)
}

// Package app builds the Handler from the configuration, the same way for every entry point.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	cf "github.com/aws/aws-sdk-go-v2/service/cloudfront"

	"github.com/imgorigin/imgorigin/handler"
	"github.com/imgorigin/imgorigin/handler/cloudfront"
	"github.com/imgorigin/imgorigin/handler/config"
	"github.com/imgorigin/imgorigin/handler/fsstore"
	"github.com/imgorigin/imgorigin/handler/imaging"
	"github.com/imgorigin/imgorigin/handler/s3store"
)

// Logger is JSON on Lambda (CloudWatch reads it), text elsewhere.
func Logger() *slog.Logger {
	if os.Getenv("AWS_LAMBDA_FUNCTION_NAME") != "" {
		return slog.New(slog.NewJSONHandler(os.Stdout, nil))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, nil))
}

// Stores returns the originals and variants stores: the bucket when cfg.Bucket is set, else
// two folders: dir (originals under dir/<prefix>) and cacheDir (variants).
func Stores(ctx context.Context, cfg config.Config, dir, cacheDir string) (originals, variants handler.Store, err error) {
	if cfg.Bucket != "" {
		client, err := s3store.NewClient(ctx, cfg.PathStyle)
		if err != nil {
			return nil, nil, fmt.Errorf("S3 client: %w", err)
		}
		return &s3store.Bucket{Client: client, Name: cfg.Bucket, MaxBytes: cfg.MaxSourceBytes},
			&s3store.Bucket{Client: client, Name: cfg.Bucket}, nil
	}
	if dir == "" {
		return nil, nil, fmt.Errorf("%s is not set", config.EnvBucket)
	}
	o, err := fsstore.Open(dir)
	if err != nil {
		return nil, nil, err
	}
	if cacheDir == "" {
		cacheDir = filepath.Join(dir, "cache")
	}
	v, err := fsstore.Open(cacheDir)
	if err != nil {
		return nil, nil, err
	}
	return o, v, nil
}

// Handler builds the handler over the given stores with libvips behind it; inv may be nil.
func Handler(cfg config.Config, originals, variants handler.Store, inv handler.Invalidator, log *slog.Logger) *handler.Handler {
	opt := handler.OptionsFrom(cfg)
	opt.Originals, opt.Variants, opt.Resizer, opt.Invalidator = originals, variants, Resizer(cfg), inv
	opt.Logger = log
	opt.Metrics = os.Getenv("AWS_LAMBDA_FUNCTION_NAME") // EMF metrics on Lambda only
	return handler.New(opt)
}

// Invalidator is the CloudFront distribution to purge when an original changes, or nil when
// CLOUDFRONT_DISTRIBUTION_ID is unset.
func Invalidator(ctx context.Context, cfg config.Config) (handler.Invalidator, error) {
	if cfg.DistributionID == "" {
		return nil, nil
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("CloudFront client: %w", err)
	}
	return &cloudfront.Invalidator{Client: cf.NewFromConfig(awsCfg), DistributionID: cfg.DistributionID}, nil
}

// Resizer is libvips with the configured quality and limits.
func Resizer(cfg config.Config) *imaging.Resizer {
	return imaging.New(imaging.Options{
		Quality:   cfg.JPEGQuality,
		MaxBytes:  cfg.MaxSourceBytes,
		MaxPixels: cfg.MaxSourcePixels,
		MaxFrames: cfg.MaxFrames,
		Crop:      cfg.Crop,
	})
}

// Fatal logs a start-up error and exits: bad configuration names its variable.
func Fatal(log *slog.Logger, msg string, err error) {
	log.Error(msg, "error", err.Error())
	os.Exit(1)
}

// LambdaHandler is what both Lambda entry points start from: the configuration from the
// environment, the bucket, and the CloudFront invalidator when CLOUDFRONT_DISTRIBUTION_ID is
// set (Terraform sets it for the pre-warm function only). Bad configuration exits with a log
// line that names the variable.
func LambdaHandler(ctx context.Context, log *slog.Logger) *handler.Handler {
	cfg, err := config.Load(nil)
	if err != nil {
		Fatal(log, "configuration", err)
	}
	originals, variants, err := Stores(ctx, cfg, "", "")
	if err != nil {
		Fatal(log, "storage", err)
	}
	inv, err := Invalidator(ctx, cfg)
	if err != nil {
		Fatal(log, "cloudfront", err)
	}
	return Handler(cfg, originals, variants, inv, log)
}

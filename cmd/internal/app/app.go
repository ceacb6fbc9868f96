// Package app builds the Handler from the configuration, the same way for every entry point.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/imgorigin/imgorigin/handler"
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

// Handler builds the handler over the given stores with libvips behind it.
func Handler(cfg config.Config, originals, variants handler.Store, log *slog.Logger) *handler.Handler {
	return handler.New(handler.Options{
		Originals:       originals,
		Variants:        variants,
		Resizer:         Resizer(cfg),
		OriginalsPrefix: cfg.OriginalsPrefix,
		Sizes:           cfg.Sizes,
		PrewarmSizes:    cfg.PrewarmSizes,
		CacheControl:    cfg.CacheControl,
		ErrorCache:      cfg.ErrorCacheControl,
		LRUBytes:        cfg.LRUBytes,
		Logger:          log,
	})
}

// Resizer is libvips with the configured quality and limits.
func Resizer(cfg config.Config) *imaging.Resizer {
	return imaging.New(imaging.Options{
		Quality:   cfg.JPEGQuality,
		MaxBytes:  cfg.MaxSourceBytes,
		MaxPixels: cfg.MaxSourcePixels,
		MaxFrames: cfg.MaxFrames,
	})
}

// Fatal logs a start-up error and exits: bad configuration names its variable.
func Fatal(log *slog.Logger, msg string, err error) {
	log.Error(msg, "error", err.Error())
	os.Exit(1)
}

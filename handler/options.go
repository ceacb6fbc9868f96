package handler

import "github.com/imgorigin/imgorigin/handler/config"

// OptionsFrom is what cfg says of a Handler: the sizes, the cache headers and the LRU. The
// caller adds the stores, the resizer, the invalidator and the logger. Every entry point
// (internal/app) and the tests that run the real handler start from it.
func OptionsFrom(cfg config.Config) Options {
	return Options{
		OriginalsPrefix: cfg.OriginalsPrefix,
		Sizes:           cfg.Sizes,
		PrewarmSizes:    cfg.PrewarmSizes,
		PrewarmFormats:  cfg.PrewarmFormats,
		CacheControl:    cfg.CacheControl,
		ErrorCache:      cfg.ErrorCacheControl,
		LRUBytes:        cfg.LRUBytes,
		LRUTTL:          cfg.LRUTTL,
		WorkTimeout:     cfg.WorkTimeout,
		Crop:            cfg.Crop,
	}
}

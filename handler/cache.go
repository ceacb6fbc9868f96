package handler

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// memCache is the in-process LRU in front of the variants store, bounded in bytes and in age:
// it evicts the least recently used variants until their bodies add up to at most max, and
// drops any entry older than ttl. An entry is served only after a HEAD of its key in the
// variants store returns the ETag it was read with (Handler.variant), so a warm process never
// serves a variant that the pre-warm function has replaced or deleted meanwhile.
type memCache struct {
	mu    sync.Mutex // serialises add's evict loop
	lru   *expirable.LRU[string, *cached]
	bytes atomic.Int64 // also changed by the LRU's own expiry goroutine
	max   int64
}

// cached is a variant as served: body, type and ETag computed once.
type cached struct {
	body        []byte
	contentType string
	etag        string // the response's ETag (of the body)
	storeETag   string // the variants store's ETag of the stored object
}

// newMemCache returns nil (no cache) for max <= 0.
func newMemCache(max int64, ttl time.Duration) *memCache {
	if max <= 0 {
		return nil
	}
	c := &memCache{max: max}
	// The count bound is never the one reached: bytes are.
	c.lru = expirable.NewLRU(1<<30, func(_ string, v *cached) { c.bytes.Add(-int64(len(v.body))) }, ttl)
	return c
}

func (c *memCache) get(key string) (*cached, bool) {
	if c == nil {
		return nil, false
	}
	return c.lru.Get(key)
}

func (c *memCache) add(key string, v *cached) {
	if c == nil || int64(len(v.body)) > c.max/8 {
		return // one variant never takes more than an eighth of the cache
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Remove(key) // an update would not call the evict callback: keep the count exact
	c.lru.Add(key, v)
	c.bytes.Add(int64(len(v.body)))
	for c.bytes.Load() > c.max {
		if _, _, ok := c.lru.RemoveOldest(); !ok {
			break
		}
	}
}

func (c *memCache) remove(key string) {
	if c != nil {
		c.lru.Remove(key)
	}
}

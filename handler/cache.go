package handler

import (
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"
)

// memCache is the in-process LRU in front of the variants store, bounded in bytes: it evicts the
// least recently used variants until their bodies add up to at most max.
type memCache struct {
	mu    sync.Mutex
	lru   *lru.Cache[string, *cached]
	bytes int64
	max   int64
}

// cached is a variant as served: body, type and ETag computed once.
type cached struct {
	body        []byte
	contentType string
	etag        string
}

// newMemCache returns nil (no cache) for max <= 0.
func newMemCache(max int64) *memCache {
	if max <= 0 {
		return nil
	}
	c := &memCache{max: max}
	// The count bound is never the one reached: bytes are.
	c.lru, _ = lru.NewWithEvict(1<<30, func(_ string, v *cached) { c.bytes -= int64(len(v.body)) })
	return c
}

func (c *memCache) get(key string) (*cached, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Get(key)
}

func (c *memCache) add(key string, v *cached) {
	if c == nil || int64(len(v.body)) > c.max/8 {
		return // one variant never takes more than an eighth of the cache
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.lru.Peek(key); ok {
		c.bytes -= int64(len(old.body))
	}
	c.lru.Add(key, v)
	c.bytes += int64(len(v.body))
	for c.bytes > c.max {
		c.lru.RemoveOldest()
	}
}

func (c *memCache) remove(key string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Remove(key)
}

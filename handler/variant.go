package handler

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/imgorigin/imgorigin/handler/meta"
	"github.com/imgorigin/imgorigin/handler/variantpath"
)

// Where a served variant came from, for the log and Server-Timing.
const (
	fromLRU    = "lru"
	fromBucket = "bucket"
	fromMade   = "made"
)

// made is the result of one miss, shared by every caller waiting on it.
type made struct {
	v                       *cached
	bytesIn                 int
	fetch, transform, store time.Duration
}

// variant finds or makes the variant of path at size s: the LRU, then the variants store, then
// the original, with concurrent misses for one key sharing one decode and one write.
func (h *Handler) variant(ctx context.Context, vp variantpath.Variant, rl *requestLog) (*cached, error) {
	key := vp.Key()
	start := time.Now()
	if v, ok := h.lru.get(key); ok {
		// The LRU saves the body's transfer and hashing, not the round trip: a HEAD checks
		// that the bucket still holds what was cached. Keying the LRU by the original's ETag
		// would cost the same round trip (a HEAD of the original) and say less: the variant's
		// own ETag changes whenever anything rewrites or deletes it. Without the check a warm
		// process would hand CloudFront a replaced picture, which it would keep for a year.
		cur, err := h.opt.Variants.Head(ctx, key)
		rl.fetch = time.Since(start)
		if err == nil && cur.ETag != "" && cur.ETag == v.storeETag {
			rl.from = fromLRU
			return v, nil
		}
		h.lru.remove(key)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, storageErr("head variant", err)
		}
	}
	obj, err := h.opt.Variants.Get(ctx, key)
	rl.fetch = time.Since(start)
	if err == nil {
		rl.from = fromBucket
		v := newCached(obj.Body, obj.ContentType, obj.ETag)
		h.lru.add(key, v)
		return v, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, storageErr("get variant", err)
	}

	v, err := shared(ctx, h, key, func(wctx context.Context) (*made, error) { return h.make(wctx, vp) })
	if err != nil {
		return nil, err
	}
	rl.from, rl.bytesIn = fromMade, v.bytesIn
	rl.fetch, rl.transform, rl.store = rl.fetch+v.fetch, v.transform, v.store
	return v.v, nil
}

// shared runs work for key once for every caller asking at the same time (the decode of a miss),
// within the work time-out. The work must not end when the first caller goes away, so it runs
// without the caller's cancellation; each caller still stops waiting when its own context ends.
func shared[T any](ctx context.Context, h *Handler, key string, work func(context.Context) (T, error)) (T, error) {
	ch := h.group.DoChan(key, func() (res any, err error) {
		// DoChan re-panics on a goroutine of its own, which would end the process: a panic
		// in the shared work becomes this key's error instead (a 500).
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic making %s: %v", key, p)
			}
		}()
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.opt.WorkTimeout)
		defer cancel()
		return work(wctx)
	})
	var zero T
	select {
	case res := <-ch:
		if res.Err != nil {
			return zero, res.Err
		}
		return res.Val.(T), nil
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// make reads the original, resizes it to vp's size, stores the variant (never over one that another
// writer stored meanwhile) and caches it.
func (h *Handler) make(ctx context.Context, vp variantpath.Variant) (*made, error) {
	m := &made{}
	start := time.Now()
	// With CROP attention or entropy the document recorded at pre-warm (~1 KB) is read beside
	// the original, for the focal point found there. With centre there is nothing to reuse: a
	// document records the centre or the uploader's focal point, which is on the original.
	var doc *Object
	docErr := fs.ErrNotExist
	docRead := make(chan struct{})
	go func() {
		defer close(docRead)
		if h.analyses() {
			doc, docErr = h.opt.Variants.Get(ctx, meta.Key(vp.Path))
		}
	}()
	orig, err := h.opt.Originals.Get(ctx, h.opt.OriginalsPrefix+vp.Path)
	<-docRead
	m.fetch = time.Since(start)
	if err != nil {
		return nil, storageErr("get original", err)
	}
	m.bytesIn = len(orig.Body)
	start = time.Now()
	job := Job{Targets: TargetsOf(vp.Fmt(), vp.Size)}
	job.Focus, job.FocusSource = h.originalFocus(orig, h.log.With("path", vp.Path))
	if job.Focus == nil {
		job.Focus, job.FocusSource = recordedFocus(doc, docErr, orig.ETag)
	}
	// No focal point known and the policy analyses: record what it finds, once.
	job.Meta = job.Focus == nil && h.analyses()
	res, err := h.opt.Resizer.Make(orig.Body, job)
	vs := res.Variants
	m.transform = time.Since(start)
	if err != nil {
		return nil, err
	}
	if job.Meta {
		h.recordMeta(ctx, vp.Path, res, orig.ETag, doc, docErr)
	}
	start = time.Now()
	err = h.put(ctx, vp.Path, vs[0], orig.ETag, Cond{IfNoneMatch: true}, false)
	m.store = time.Since(start)
	if err != nil && !errors.Is(err, ErrPrecondition) {
		return nil, err
	}
	// A lost race means another writer stored this variant a moment ago: serve ours, keep theirs
	// (and cache neither: the LRU holds only what it can check against the bucket).
	m.v = newCached(vs[0].Body, vs[0].ContentType, "")
	if err == nil {
		if cur, herr := h.opt.Variants.Head(ctx, vp.Key()); herr == nil && cur.ETag != "" {
			m.v.storeETag = cur.ETag
			h.lru.add(vp.Key(), m.v)
		}
	}
	return m, nil
}

// put writes one variant with the ETag of the original it was made from, and MetaReplaced
// when it replaces a variant of an older original.
func (h *Handler) put(ctx context.Context, path string, v Variant, sourceETag string, cond Cond, replaced bool) error {
	obj := &Object{Body: v.Body, ContentType: v.ContentType, CacheControl: h.opt.CacheControl, Metadata: map[string]string{}}
	if sourceETag != "" {
		obj.Metadata[MetaSourceETag] = sourceETag
	}
	if replaced {
		obj.Metadata[MetaReplaced] = "true"
	}
	return storageErr("put variant", h.opt.Variants.Put(ctx, variantpath.Variant{Format: v.Target.Format, Size: v.Target.Size, Path: path}.Key(), obj, cond))
}

package handler

import (
	"github.com/imgorigin/imgorigin/edge"

	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/imgorigin/imgorigin/handler/focus"
	"github.com/imgorigin/imgorigin/handler/meta"
	"github.com/imgorigin/imgorigin/handler/variantpath"
)

// The /meta document of an original (issue 12, handler/meta): served at GET /meta/<path>,
// stored in the variants store at meta/<path> with the original's ETag like a variant, made at
// pre-warm from the same decode as the variants, and read back by a miss for the focal point it
// recorded, so that the original is analysed once.

// serveMeta serves GET and HEAD /meta/<path> (path decoded): the LRU, then the stored document
// (one small read, no decode), else one made from the original. It returns the error it
// answered, for the request's log line.
func (h *Handler) serveMeta(w http.ResponseWriter, r *http.Request, path string) error {
	if err := variantpath.CheckPath(path); err != nil {
		h.writeError(w, err)
		return err
	}
	v, err := h.metaDoc(r.Context(), path)
	if err != nil {
		h.writeError(w, err)
		return err
	}
	hd := w.Header()
	hd.Set("Content-Type", meta.ContentType)
	hd.Set("ETag", v.etag)
	hd.Set("Cache-Control", h.opt.CacheControl)
	hd.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(v.body))
	return nil
}

// metaURLPaths are the CDN paths of path's document: the edge's rewritten path (the cache key)
// and the viewer's, as for variants (InvalidationPaths).
func metaURLPaths(path string) []string {
	origin, viewer := edge.Request{Meta: true, Key: path}.OriginPath(), "/"+meta.KeyPrefix+"/"+variantpath.EscapePath(path)
	if origin == viewer { // a key of unreserved characters only is spelt the same both ways
		return []string{origin}
	}
	return []string{origin, viewer}
}

// metaDoc finds or makes path's document; concurrent misses share one decode. The document
// (about 1 KB) is not kept in the LRU: checking a cached copy against the bucket would cost a
// HEAD, the same round trip as reading it (see variant).
func (h *Handler) metaDoc(ctx context.Context, path string) (*cached, error) {
	key := meta.Key(path)
	obj, err := h.opt.Variants.Get(ctx, key)
	if err == nil {
		return newCached(obj.Body, meta.ContentType, obj.ETag), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, storageErr("get meta", err)
	}
	return shared(ctx, h, key, func(wctx context.Context) (*cached, error) { return h.makeMeta(wctx, path) })
}

// makeMeta makes path's document from its original (the decode a /meta miss costs) and stores
// it, never over one another writer stored meanwhile.
func (h *Handler) makeMeta(ctx context.Context, path string) (*cached, error) {
	orig, err := h.opt.Originals.Get(ctx, h.opt.OriginalsPrefix+path)
	if err != nil {
		return nil, storageErr("get original", err)
	}
	job := Job{Meta: true}
	job.Focus, job.FocusSource = h.originalFocus(orig, h.log.With("path", path))
	m, err := h.opt.Resizer.Make(orig.Body, job)
	if err != nil {
		return nil, err
	}
	body, err := h.buildMeta(path, m)
	if err != nil {
		return nil, err
	}
	if err := h.putMeta(ctx, path, body, orig.ETag, Cond{IfNoneMatch: true}); err != nil && !errors.Is(err, ErrPrecondition) {
		return nil, err
	}
	return newCached(body, meta.ContentType, ""), nil
}

// buildMeta is the stored and served document of what one decode made.
func (h *Handler) buildMeta(path string, m Made) ([]byte, error) {
	d, err := meta.Build(meta.Input{
		Path: path, Width: m.Width, Height: m.Height, Format: m.Source.String(),
		Focus: m.Focus, Source: m.FocusSource, Sizes: h.opt.Sizes, Thumb: m.Thumb,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return d.Marshal(), nil
}

// putMeta writes path's document with the ETag of the original it was made from.
func (h *Handler) putMeta(ctx context.Context, path string, body []byte, sourceETag string, cond Cond) error {
	obj := &Object{Body: body, ContentType: meta.ContentType, CacheControl: h.opt.CacheControl}
	if sourceETag != "" {
		obj.Metadata = map[string]string{MetaSourceETag: sourceETag}
	}
	return storageErr("put meta", h.opt.Variants.Put(ctx, meta.Key(path), obj, cond))
}

// originalFocus is the uploader's focal point on orig (S3 user metadata focal-point), or nil.
// A value that does not parse is the uploader's mistake: logged, and the crop policy applies.
func (h *Handler) originalFocus(orig *Object, log *slog.Logger) (*focus.Point, focus.Source) {
	p, ok, err := focus.FromObjectMetadata(orig.Metadata)
	if err != nil {
		log.Warn("focal_point_error", "reason", err.Error())
	}
	if !ok {
		return nil, ""
	}
	return &p, focus.FromMetadata
}

// recordedFocus is the focal point path's stored document recorded, when the document was
// made from this very original (doc and its read error as the store returned them), or nil.
func recordedFocus(doc *Object, err error, sourceETag string) (*focus.Point, focus.Source) {
	if err != nil || doc == nil || sourceETag == "" || doc.Metadata[MetaSourceETag] != sourceETag {
		return nil, ""
	}
	d, err := meta.Parse(doc.Body)
	if err != nil {
		return nil, ""
	}
	p := d.Focus.Point()
	return &p, d.Focus.Source
}

// analyses reports whether the resizer will analyse an original for which no focal point is
// known (CROP attention or entropy): its result is then worth recording.
func (h *Handler) analyses() bool {
	return h.opt.Crop == focus.FromAttention || h.opt.Crop == focus.FromEntropy
}

// recordMeta stores the document a miss made while analysing, over the stale one it read (if
// any) or where there is none, so that later misses reuse its focal point. A failure only
// costs a later miss another analysis: logged, not returned.
func (h *Handler) recordMeta(ctx context.Context, path string, m Made, sourceETag string, old *Object, oldErr error) {
	body, err := h.buildMeta(path, m)
	if err == nil {
		cond := Cond{IfNoneMatch: true}
		if oldErr == nil && old != nil && old.ETag != "" {
			cond = Cond{IfMatch: old.ETag}
		}
		err = h.putMeta(ctx, path, body, sourceETag, cond)
	}
	if err != nil && !errors.Is(err, ErrPrecondition) {
		h.log.Warn("meta not recorded", "path", path, "reason", err.Error())
	}
}

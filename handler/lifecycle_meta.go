package handler

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"

	"github.com/imgorigin/imgorigin/handler/focus"
	"github.com/imgorigin/imgorigin/handler/meta"
)

// The lifecycle of the /meta document: kept in step with its original like a variant (made at
// pre-warm from the same decode, replaced with If-Match, deleted with the variants, its CDN
// path invalidated with theirs). Each function is called with one line from lifecycle.go.

// metaState is path's stored document as a pre-warm finds it.
type metaState struct {
	obj   *Object // nil: none
	fresh bool    // made from this very original
}

// metaBefore reads path's document (~1 KB): whether it must be made again, and the focal point
// it recorded. It is fresh when it was made from this very original (its ETag) with the focal
// point the original carries now: a metadata-only copy that changes the focal point may keep
// the ETag (S3 keeps the content's MD5), and then the document is what tells the variants are
// stale.
func (h *Handler) metaBefore(ctx context.Context, path string, orig *Object) (metaState, error) {
	obj, err := h.opt.Variants.Get(ctx, meta.Key(path))
	if errors.Is(err, fs.ErrNotExist) {
		return metaState{}, nil
	}
	if err != nil {
		return metaState{}, storageErr("get meta", err)
	}
	p, src := recordedFocus(obj, nil, orig.ETag)
	up, ok, _ := focus.FromObjectMetadata(orig.Metadata)
	fresh := p != nil && ok == (src == focus.FromMetadata) && (!ok || up.String() == p.String())
	return metaState{obj: obj, fresh: fresh}, nil
}

// prewarmJob is the pre-warm's one decode: the sizes to make, the uploader's focal point or the
// one a fresh document recorded (so that sizes made later match the ones made before), and the
// /meta facts when the document must be made again.
func (h *Handler) prewarmJob(todo []Target, orig *Object, doc metaState, log *slog.Logger) Job {
	job := Job{Targets: todo, Meta: !doc.fresh}
	job.Focus, job.FocusSource = h.originalFocus(orig, log)
	if job.Focus == nil && doc.fresh {
		job.Focus, job.FocusSource = recordedFocus(doc.obj, nil, orig.ETag)
	}
	return job
}

// metaAfter stores the document of what the pre-warm made, when it asked for one: over exactly
// the one it read (If-Match) or where none is (If-None-Match), like replace. It reports whether
// a document was replaced (its CDN paths are then invalidated).
func (h *Handler) metaAfter(ctx context.Context, path string, job Job, m Made, sourceETag string, doc metaState) (bool, error) {
	if !job.Meta {
		return false, nil
	}
	body, err := h.buildMeta(path, m)
	if err != nil {
		return false, err
	}
	err = h.putOver(ctx, "meta", meta.Key(path), sourceETag, doc.obj, func(cond Cond, _ bool) error {
		return h.putMeta(ctx, path, body, sourceETag, cond)
	})
	if err != nil {
		return false, err
	}
	return doc.obj != nil, nil
}

// removeMeta deletes path's document; it reports whether there was one.
func (h *Handler) removeMeta(ctx context.Context, path string) (bool, error) {
	key := meta.Key(path)
	_, err := h.opt.Variants.Head(ctx, key)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, storageErr("head meta", err)
	}
	if err := h.opt.Variants.Delete(ctx, key); err != nil {
		return false, storageErr("delete meta", err)
	}
	return true, nil
}

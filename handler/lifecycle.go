package handler

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/imgorigin/imgorigin/edge"
	"github.com/imgorigin/imgorigin/handler/variantpath"
)

// Prewarm handles an upload to key (a full key, with the originals prefix): it makes every
// pre-warm size in every pre-warm format, and also rebuilds every variant (any allowed size,
// any format) that had been made from an older original, all from one decode; then it
// invalidates the CDN paths of the variants it replaced. Variants already made from this very
// original are left alone, so a retry is cheap; but a variant this original replaced carries
// MetaReplaced, and a retry invalidates it again, so that an invalidation that failed on the
// first attempt is not lost on the retry that finds every variant fresh. Keys outside the
// prefix, malformed paths, originals that are gone and bad images are logged and skipped (nil:
// retrying cannot help); storage faults are returned so that Lambda retries.
func (h *Handler) Prewarm(ctx context.Context, key string) error {
	start := time.Now()
	log := h.log.With("key", key, "event", "created")
	path, ok := h.pathOf(key, log)
	if !ok {
		return nil
	}
	orig, err := h.opt.Originals.Get(ctx, key)
	if errors.Is(err, fs.ErrNotExist) {
		log.Info("upload skipped", "reason", "original is gone")
		return nil
	}
	if err != nil {
		return h.eventFailed(log, storageErr("get original", err))
	}
	existing, err := h.existing(ctx, path)
	if err != nil {
		return h.eventFailed(log, err)
	}
	doc, err := h.metaBefore(ctx, path, orig)
	if err != nil {
		return h.eventFailed(log, err)
	}
	var todo []Target
	var stale []variantpath.Variant // fresh, but replaced by this original: invalidated again
	for _, f := range variantpath.Formats {
		for _, s := range h.allowed.Sizes() {
			vp := variantpath.Variant{Format: f, Size: s, Path: path}
			old, had := existing[vp]
			wanted := had || (slices.Contains(h.opt.PrewarmSizes, s) && slices.Contains(h.opt.PrewarmFormats, f))
			// A variant is fresh when it was made from this original, and the focal point
			// recorded in the /meta document is still the original's (a metadata-only copy
			// may keep the ETag and change the point).
			fresh := had && orig.ETag != "" && old.Metadata[MetaSourceETag] == orig.ETag && doc.fresh
			switch {
			case wanted && !fresh:
				todo = append(todo, Target{Size: s, Format: f})
			case fresh && old.Metadata[MetaReplaced] != "":
				stale = append(stale, vp)
			}
		}
	}
	if len(todo) == 0 && doc.fresh {
		// The /meta document was replaced with those variants: its paths go again too.
		if err := h.invalidate(ctx, path, stale, len(stale) > 0); err != nil {
			return h.eventFailed(log, err)
		}
		log.Info("variants made", "made", 0, "reason", "every variant is up to date", "invalidated", len(stale), "ms", ms(time.Since(start)))
		return nil
	}

	job := h.prewarmJob(todo, orig, doc, log)
	res, err := h.opt.Resizer.Make(orig.Body, job)
	vs := res.Variants
	if err != nil {
		// The new original cannot be read: its variants, if any, show the old image. Remove
		// them so that requests get the new original's answer (415/422), not a stale picture.
		code, _ := toHTTPError(err)
		log.Warn("unreadable upload: removing its variants", "reason", err.Error(), "status", code, "bytes_in", len(orig.Body))
		return h.removeVariants(ctx, path, existing, log)
	}
	replaced := stale
	out := 0
	for _, v := range vs {
		vp := variantpath.Variant{Format: v.Target.Format, Size: v.Target.Size, Path: path}
		vp.Format = vp.Fmt() // "" is Original, as existing's keys spell it
		old, had := existing[vp]
		if err := h.replace(ctx, path, v, orig.ETag, old); err != nil {
			return h.eventFailed(log, err)
		}
		h.lru.remove(vp.Key())
		if had {
			replaced = append(replaced, vp)
		}
		out += len(v.Body)
	}
	metaReplaced, err := h.metaAfter(ctx, path, job, res, orig.ETag, doc)
	if err != nil {
		return h.eventFailed(log, err)
	}
	if err := h.invalidate(ctx, path, replaced, metaReplaced); err != nil {
		return h.eventFailed(log, err)
	}
	log.Info("variants made", "made", len(vs), "replaced", len(replaced), "meta", job.Meta, "focus_source", res.FocusSource, "bytes_in", len(orig.Body),
		"bytes_out", out, "ms", ms(time.Since(start)))
	return nil
}

// Remove handles the deletion of the original at key: every variant of it is deleted and its
// CDN paths invalidated. If the original is there again (a later upload whose event arrived
// first), this is an upload, not a deletion.
func (h *Handler) Remove(ctx context.Context, key string) error {
	log := h.log.With("key", key, "event", "removed")
	path, ok := h.pathOf(key, log)
	if !ok {
		return nil
	}
	_, err := h.opt.Originals.Head(ctx, key)
	if err == nil {
		log.Info("original exists again: pre-warming instead")
		return h.Prewarm(ctx, key)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return h.eventFailed(log, storageErr("head original", err))
	}
	existing, err := h.existing(ctx, path)
	if err != nil {
		return h.eventFailed(log, err)
	}
	if len(existing) == 0 && h.opt.Invalidator != nil {
		// Nothing is left to delete: this is a retry of a removal whose first attempt deleted
		// the variants and then failed to invalidate them, or a duplicate event. Which paths
		// the edge still holds cannot be known any more, so every path the key can have is
		// invalidated, still exact (4 per size: three formats and the viewer's path; and the
		// /meta document's).
		all := h.variantsOf(path)
		if err := h.invalidate(ctx, path, all, true); err != nil {
			return h.eventFailed(log, err)
		}
		log.Info("variants removed", "removed", 0, "reason", "none left: every path invalidated again", "paths", len(InvalidationPaths(all))+len(metaURLPaths(path)))
		return nil
	}
	return h.removeVariants(ctx, path, existing, log)
}

func (h *Handler) removeVariants(ctx context.Context, path string, existing map[variantpath.Variant]*Object, log *slog.Logger) error {
	var gone []variantpath.Variant
	for _, vp := range h.variantsOf(path) {
		if _, had := existing[vp]; !had {
			continue
		}
		if err := h.opt.Variants.Delete(ctx, vp.Key()); err != nil {
			return h.eventFailed(log, storageErr("delete variant", err))
		}
		h.lru.remove(vp.Key())
		gone = append(gone, vp)
	}
	metaGone, err := h.removeMeta(ctx, path)
	if err != nil {
		return h.eventFailed(log, err)
	}
	if err := h.invalidate(ctx, path, gone, metaGone); err != nil {
		return h.eventFailed(log, err)
	}
	log.Info("variants removed", "removed", len(gone))
	return nil
}

// variantsOf is every variant path may have: each format at each allowed size.
func (h *Handler) variantsOf(path string) []variantpath.Variant {
	var vps []variantpath.Variant
	for _, f := range variantpath.Formats {
		for _, s := range h.allowed.Sizes() {
			vps = append(vps, variantpath.Variant{Format: f, Size: s, Path: path})
		}
	}
	return vps
}

// existing finds the variants of path that are stored now, one HEAD per format and size.
func (h *Handler) existing(ctx context.Context, path string) (map[variantpath.Variant]*Object, error) {
	found := map[variantpath.Variant]*Object{}
	for _, vp := range h.variantsOf(path) {
		obj, err := h.opt.Variants.Head(ctx, vp.Key())
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, storageErr("head variant", err)
		}
		found[vp] = obj
	}
	return found, nil
}

// replace writes v over exactly the variant that was seen (putOver). A write over an older
// variant records MetaReplaced.
func (h *Handler) replace(ctx context.Context, path string, v Variant, sourceETag string, seen *Object) error {
	key := variantpath.Variant{Format: v.Target.Format, Size: v.Target.Size, Path: path}.Key()
	return h.putOver(ctx, "variant", key, sourceETag, seen, func(cond Cond, over bool) error {
		return h.put(ctx, path, v, sourceETag, cond, over)
	})
}

// putOver writes the object at key (what: its kind, for errors) with put, over exactly the one
// that was seen (If-Match its ETag), or only where none exists (If-None-Match); over tells put
// which. When another writer got there first, what it wrote is checked: made from this original
// (sourceETag), it stays; made from an older one, it is replaced in turn.
func (h *Handler) putOver(ctx context.Context, what, key, sourceETag string, seen *Object, put func(cond Cond, over bool) error) error {
	for range 3 {
		cond := Cond{IfNoneMatch: true}
		if seen != nil {
			cond = Cond{IfMatch: seen.ETag}
		}
		err := put(cond, seen != nil)
		if !errors.Is(err, ErrPrecondition) {
			return err
		}
		cur, err := h.opt.Variants.Head(ctx, key)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			seen = nil
		case err != nil:
			return storageErr("head "+what, err)
		case sourceETag != "" && cur.Metadata[MetaSourceETag] == sourceETag:
			return nil // the other writer made it from this original too
		default:
			seen = cur
		}
	}
	return fmt.Errorf("put %s: %w: kept losing races with other writers", key, errStorage)
}

// InvalidationPaths are the CDN paths of variants, exact (no wildcard), in one list without
// repeats. CloudFront's cache key is the path after the viewer-request function has rewritten
// it, so each variant's origin path (edge.Request.OriginPath: one per format) is named; AWS
// also asks for the viewer's own path when a function rewrites the URI
// (docs/EDGE.md), which is named once per size: it is what a distribution cached before the
// function was attached. Per replaced original: one path per variant replaced plus one per
// size replaced.
func InvalidationPaths(vps []variantpath.Variant) []string {
	var paths []string
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			paths = append(paths, p)
		}
	}
	for _, vp := range vps {
		add(edge.Request{Format: vp.Fmt(), Size: vp.Size, Key: vp.Path}.OriginPath())
		add(variantpath.Variant{Size: vp.Size, Path: vp.Path}.URLPath())
	}
	return paths
}

// invalidate purges the CDN paths of vps, and of path's /meta document when withMeta, in one
// call.
func (h *Handler) invalidate(ctx context.Context, path string, vps []variantpath.Variant, withMeta bool) error {
	if h.opt.Invalidator == nil || (len(vps) == 0 && !withMeta) {
		return nil
	}
	paths := InvalidationPaths(vps)
	if withMeta {
		paths = append(paths, metaURLPaths(path)...)
	}
	if err := h.opt.Invalidator.Invalidate(ctx, paths); err != nil {
		return fmt.Errorf("invalidate %d paths: %w", len(paths), err)
	}
	return nil
}

// pathOf is the image path of an original's key, or false (logged) for keys that hold no
// original the service serves.
func (h *Handler) pathOf(key string, log *slog.Logger) (string, bool) {
	path, ok := strings.CutPrefix(key, h.opt.OriginalsPrefix)
	if !ok {
		log.Info("event skipped", "reason", "outside "+h.opt.OriginalsPrefix)
		return "", false
	}
	if err := variantpath.CheckPath(path); err != nil {
		log.Warn("event skipped", "reason", err.Error())
		return "", false
	}
	return path, true
}

// eventFailed logs a failure of an upload or a deletion that Lambda will retry, with the
// PrewarmFailures metric (named after the function; terraform/monitoring.tf alarms on it).
func (h *Handler) eventFailed(log *slog.Logger, err error) error {
	attrs := []any{"error", err.Error()}
	if h.opt.Metrics != "" {
		for _, a := range h.emf(map[string]emfValue{"PrewarmFailures": {1, "Count"}}) {
			attrs = append(attrs, a)
		}
	}
	log.Error("event failed", attrs...)
	return err
}

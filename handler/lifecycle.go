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

	"github.com/imgorigin/imgorigin/handler/size"
	"github.com/imgorigin/imgorigin/handler/variantpath"
)

// Prewarm handles an upload to key (a full key, with the originals prefix): it makes every
// pre-warm size, and also rebuilds every allowed size that already had a variant made from an
// older original, in one decode; then it invalidates the CDN paths of the variants it replaced.
// Variants already made from this very original are left alone, so a retry is cheap and
// harmless. Keys outside the prefix, malformed paths, originals that are gone and bad images
// are logged and skipped (nil: retrying cannot help); storage faults are returned so that
// Lambda retries.
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
	var todo []size.Size
	for _, s := range h.allowed.Sizes() {
		old, had := existing[s]
		wanted := had || slices.Contains(h.opt.PrewarmSizes, s)
		fresh := had && orig.ETag != "" && old.Metadata[MetaSourceETag] == orig.ETag && doc.fresh
		if wanted && !fresh {
			todo = append(todo, s)
		}
	}
	if len(todo) == 0 && doc.fresh {
		log.Info("variants made", "made", 0, "reason", "every variant is up to date", "ms", ms(time.Since(start)))
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
	var replaced []size.Size
	out := 0
	for _, v := range vs {
		old, had := existing[v.Target.Size]
		if err := h.replace(ctx, path, v, orig.ETag, old); err != nil {
			return h.eventFailed(log, err)
		}
		h.lru.remove(variantpath.Variant{Size: v.Target.Size, Path: path}.Key())
		if had {
			replaced = append(replaced, v.Target.Size)
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
	return h.removeVariants(ctx, path, existing, log)
}

func (h *Handler) removeVariants(ctx context.Context, path string, existing map[size.Size]*Object, log *slog.Logger) error {
	var gone []size.Size
	for _, s := range h.allowed.Sizes() {
		if _, had := existing[s]; !had {
			continue
		}
		key := variantpath.Variant{Size: s, Path: path}.Key()
		if err := h.opt.Variants.Delete(ctx, key); err != nil {
			return h.eventFailed(log, storageErr("delete variant", err))
		}
		h.lru.remove(key)
		gone = append(gone, s)
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

// existing finds the variants of path that are stored now, one HEAD per allowed size.
func (h *Handler) existing(ctx context.Context, path string) (map[size.Size]*Object, error) {
	found := map[size.Size]*Object{}
	for _, s := range h.allowed.Sizes() {
		obj, err := h.opt.Variants.Head(ctx, variantpath.Variant{Size: s, Path: path}.Key())
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, storageErr("head variant", err)
		}
		found[s] = obj
	}
	return found, nil
}

// replace writes v over exactly the variant that was seen (If-Match its ETag), or only where
// none exists (If-None-Match). When another writer got there first, what it wrote is checked:
// made from this original, it stays; made from an older one, it is replaced in turn.
func (h *Handler) replace(ctx context.Context, path string, v Variant, sourceETag string, seen *Object) error {
	key := variantpath.Variant{Size: v.Target.Size, Path: path}.Key()
	for range 3 {
		cond := Cond{IfNoneMatch: true}
		if seen != nil {
			cond = Cond{IfMatch: seen.ETag}
		}
		err := h.put(ctx, path, v, sourceETag, cond)
		if !errors.Is(err, ErrPrecondition) {
			return err
		}
		cur, err := h.opt.Variants.Head(ctx, key)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			seen = nil
		case err != nil:
			return storageErr("head variant", err)
		case sourceETag != "" && cur.Metadata[MetaSourceETag] == sourceETag:
			return nil // the other writer made it from this original too
		default:
			seen = cur
		}
	}
	return fmt.Errorf("put %s: %w: kept losing races with other writers", key, errStorage)
}

// invalidate purges the CDN paths of path's variants at sizes, and of its /meta document
// when withMeta, in one call.
func (h *Handler) invalidate(ctx context.Context, path string, sizes []size.Size, withMeta bool) error {
	if h.opt.Invalidator == nil || (len(sizes) == 0 && !withMeta) {
		return nil
	}
	paths := make([]string, 0, len(sizes)+1)
	for _, s := range sizes {
		paths = append(paths, variantpath.Variant{Size: s, Path: path}.URLPath())
	}
	if withMeta {
		paths = append(paths, metaURLPath(path))
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

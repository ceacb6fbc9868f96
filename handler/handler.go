// Package handler is the core of the image origin: it serves GET/HEAD /<W>x<H>/<path> from the
// variants store, makes missing variants from the originals store, and pre-warms variants when
// an original is uploaded. The same Handler serves the Lambda function URL and the local server.
package handler

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/imgorigin/imgorigin/handler/size"
)

// Variant is one encoded output of a Resizer.
type Variant struct {
	Size        size.Size
	Body        []byte
	ContentType string
}

// Resizer makes variants of an original, decoding it once for all sizes. imaging.Resizer is the
// libvips implementation. Errors wrap ErrUnsupported, ErrInvalid or ErrTooLarge.
type Resizer interface {
	Resize(src []byte, sizes []size.Size) ([]Variant, error)
}

// Options configure a Handler. Originals, Variants and Resizer are required.
type Options struct {
	Originals       Store
	Variants        Store
	Resizer         Resizer
	OriginalsPrefix string      // key prefix of originals, e.g. "originals/"
	Sizes           []size.Size // the allowlist
	PrewarmSizes    []size.Size // made on upload
	CacheControl    string      // on 200 and 304
	ErrorCache      string      // on 4xx
	LRUBytes        int64       // in-process variant cache; 0 turns it off
	WorkTimeout     time.Duration
	Logger          *slog.Logger
}

// Handler serves variants and pre-warms them. It is safe for concurrent use.
type Handler struct {
	opt     Options
	allowed size.Allowlist
	lru     *memCache
	group   singleflight.Group
	log     *slog.Logger
}

// New returns a Handler.
func New(opt Options) *Handler {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.WorkTimeout <= 0 {
		opt.WorkTimeout = 25 * time.Second
	}
	return &Handler{
		opt:     opt,
		allowed: size.NewAllowlist(opt.Sizes),
		lru:     newMemCache(opt.LRUBytes),
		log:     opt.Logger,
	}
}

// Where a served variant came from, for the log.
const (
	fromLRU    = "lru"
	fromBucket = "bucket"
	fromMade   = "made"
)

// ServeHTTP serves GET and HEAD /<W>x<H>/<path>.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusWriter{ResponseWriter: w}
	attrs := []slog.Attr{slog.String("method", r.Method), slog.String("path", clipPath(r.URL.Path))}
	defer func() {
		if p := recover(); p != nil {
			h.log.Error("panic", "panic", fmt.Sprint(p), "path", clipPath(r.URL.Path))
			if rec.status == 0 {
				h.writeError(rec, http.StatusInternalServerError, "internal error")
			}
		}
		attrs = append(attrs, slog.Int("status", rec.status), slog.Int("bytes_out", rec.bytes),
			slog.Float64("ms", ms(time.Since(start))))
		h.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	}()

	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		rec.Header().Set("Allow", "GET, HEAD")
		h.writeError(rec, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	s, p, err := size.ParseRequest(r.URL.Path)
	if err == nil && !h.allowed.Allows(s) {
		err = fmt.Errorf("%w: size %v is not allowed; allowed sizes: %v", errSizeNotAllowed, s, h.allowed)
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
		h.writeError(rec, http.StatusBadRequest, err.Error())
		return
	}
	key := size.VariantKey(s, p)
	attrs = append(attrs, slog.String("key", key), slog.String("size", s.String()))

	v, from, err := h.variant(r.Context(), s, p)
	if err != nil {
		code, msg := status(err)
		attrs = append(attrs, slog.String("error", err.Error()))
		h.writeError(rec, code, msg)
		return
	}
	attrs = append(attrs, slog.String("cache", from))
	hd := rec.Header()
	hd.Set("Content-Type", v.contentType)
	hd.Set("ETag", v.etag)
	hd.Set("Cache-Control", h.opt.CacheControl)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Server-Timing", fmt.Sprintf("%s;dur=%.1f", from, ms(time.Since(start))))
	http.ServeContent(rec, r, "", time.Time{}, bytes.NewReader(v.body))
}

// variant finds or makes the variant of path at size s: the LRU, then the variants store, then
// the original, with concurrent misses for one key sharing one decode and one write.
func (h *Handler) variant(ctx context.Context, s size.Size, path string) (*cached, string, error) {
	key := size.VariantKey(s, path)
	if v, ok := h.lru.get(key); ok {
		return v, fromLRU, nil
	}
	obj, err := h.opt.Variants.Get(ctx, key)
	if err == nil {
		v := newCached(obj.Body, obj.ContentType)
		h.lru.add(key, v)
		return v, fromBucket, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, "", storageErr("get variant", err)
	}

	// The work is shared, so it must not end when the first caller goes away; each caller still
	// stops waiting when its own context ends.
	ch := h.group.DoChan(key, func() (v any, err error) {
		// DoChan re-panics on a goroutine of its own, which would end the process: a panic
		// in the shared work becomes this key's error instead (a 500).
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic making %s: %v", key, p)
			}
		}()
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.opt.WorkTimeout)
		defer cancel()
		return h.make(wctx, s, path)
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, "", res.Err
		}
		return res.Val.(*cached), fromMade, nil
	case <-ctx.Done():
		return nil, "", ctx.Err()
	}
}

// make reads the original, resizes it to s, stores the variant and caches it.
func (h *Handler) make(ctx context.Context, s size.Size, path string) (*cached, error) {
	orig, err := h.opt.Originals.Get(ctx, h.opt.OriginalsPrefix+path)
	if err != nil {
		return nil, storageErr("get original", err)
	}
	vs, err := h.opt.Resizer.Resize(orig.Body, []size.Size{s})
	if err != nil {
		return nil, err
	}
	v := newCached(vs[0].Body, vs[0].ContentType)
	if err := h.put(ctx, path, vs[0]); err != nil {
		return nil, err
	}
	h.lru.add(size.VariantKey(s, path), v)
	return v, nil
}

func (h *Handler) put(ctx context.Context, path string, v Variant) error {
	err := h.opt.Variants.Put(ctx, size.VariantKey(v.Size, path), &Object{
		Body:         v.Body,
		ContentType:  v.ContentType,
		CacheControl: h.opt.CacheControl,
	})
	return storageErr("put variant", err)
}

// Prewarm makes every pre-warm size of the original at key (a full key, with the originals
// prefix) in one decode. Keys outside the prefix, malformed paths, missing originals and bad
// images are logged and skipped (nil: retrying cannot help); storage faults are returned so
// that the caller (Lambda) retries. Running it twice is harmless.
func (h *Handler) Prewarm(ctx context.Context, key string) error {
	start := time.Now()
	log := h.log.With("key", key)
	path, ok := strings.CutPrefix(key, h.opt.OriginalsPrefix)
	if !ok {
		log.Info("prewarm skipped", "reason", "outside "+h.opt.OriginalsPrefix)
		return nil
	}
	if err := size.CheckPath(path); err != nil {
		log.Warn("prewarm skipped", "reason", err.Error())
		return nil
	}
	orig, err := h.opt.Originals.Get(ctx, key)
	if errors.Is(err, fs.ErrNotExist) {
		log.Info("prewarm skipped", "reason", "original is gone")
		return nil
	}
	if err != nil {
		log.Error("prewarm failed", "error", err.Error())
		return storageErr("get original", err)
	}
	vs, err := h.opt.Resizer.Resize(orig.Body, h.opt.PrewarmSizes)
	if err != nil {
		code, _ := status(err)
		log.Warn("prewarm skipped", "reason", err.Error(), "status", code, "bytes_in", len(orig.Body))
		return nil
	}
	out := 0
	for _, v := range vs {
		if err := h.put(ctx, path, v); err != nil {
			log.Error("prewarm failed", "error", err.Error())
			return err
		}
		h.lru.add(size.VariantKey(v.Size, path), newCached(v.Body, v.ContentType))
		out += len(v.Body)
	}
	log.Info("prewarm", "sizes", len(vs), "bytes_in", len(orig.Body), "bytes_out", out,
		"ms", ms(time.Since(start)))
	return nil
}

func newCached(body []byte, contentType string) *cached {
	sum := sha256.Sum256(body)
	return &cached{body: body, contentType: contentType, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
}

// storageErr marks a store failure as such (502), keeping not-found, time-outs and
// unavailability recognisable; nil stays nil.
func storageErr(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, ErrUnavailable), errors.Is(err, ErrTooLarge),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%s: %w: %w", op, errStorage, err)
}

// writeError writes a short plain-text answer: 4xx may be cached briefly, 5xx never.
func (h *Handler) writeError(w http.ResponseWriter, code int, msg string) {
	hd := w.Header()
	hd.Del("ETag")
	hd.Set("Content-Type", "text/plain; charset=utf-8")
	hd.Set("X-Content-Type-Options", "nosniff")
	if code >= 500 {
		hd.Set("Cache-Control", "no-store")
	} else {
		hd.Set("Cache-Control", h.opt.ErrorCache)
	}
	w.WriteHeader(code)
	fmt.Fprintln(w, msg)
}

// statusWriter records the status and body size for the log line.
type statusWriter struct {
	http.ResponseWriter
	status, bytes int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer (Flush on Lambda streams).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func clipPath(p string) string {
	if len(p) > 200 {
		return p[:200] + "..."
	}
	return p
}

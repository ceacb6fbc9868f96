// Package handler is the core of the image origin: it serves GET/HEAD of the edge's origin path
// /<avif|webp|original>/<W>x<H>/<~XX-encoded key> (package edge) from the variants store, makes
// missing variants from the originals store, and keeps every format's variants in step with
// their original when it is uploaded, replaced or deleted. The same Handler serves the
// Lambda function URL and the local server.
package handler

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/imgorigin/imgorigin/edge"
	"github.com/imgorigin/imgorigin/handler/focus"
	"github.com/imgorigin/imgorigin/handler/meta"
	"github.com/imgorigin/imgorigin/handler/size"
	"github.com/imgorigin/imgorigin/handler/variantpath"
)

// Invalidator removes URL paths from the CDN's cache (cloudfront.Invalidator).
type Invalidator interface {
	Invalidate(ctx context.Context, paths []string) error
}

// Options configure a Handler. Originals, Variants and Resizer are required.
type Options struct {
	Originals       Store
	Variants        Store
	Resizer         Resizer
	Invalidator     Invalidator          // optional: the CDN to purge when an original changes
	OriginalsPrefix string               // key prefix of originals, e.g. "originals/"
	Sizes           []size.Size          // the allowlist
	PrewarmSizes    []size.Size          // made on upload
	PrewarmFormats  []variantpath.Format // made on upload at every pre-warm size; nil: Original
	CacheControl    string               // on 200 and 304
	ErrorCache      string               // on 4xx
	LRUBytes        int64                // in-process variant cache; 0 turns it off
	LRUTTL          time.Duration
	WorkTimeout     time.Duration // bounds a shared miss, whoever waits for it
	Logger          *slog.Logger
	Metrics         string // when set, log lines carry CloudWatch EMF metrics with this Function dimension
	// Crop is the Resizer's crop policy (CROP): with attention or entropy a miss that finds no
	// focal point records the one the analysis found in the /meta document.
	Crop focus.Source
}

// Handler serves variants and keeps them in step. It is safe for concurrent use.
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
	if opt.LRUTTL <= 0 {
		opt.LRUTTL = time.Minute
	}
	if opt.PrewarmSizes == nil {
		opt.PrewarmSizes = opt.Sizes
	}
	if len(opt.PrewarmFormats) == 0 {
		opt.PrewarmFormats = []variantpath.Format{variantpath.Original}
	}
	return &Handler{
		opt:     opt,
		allowed: size.NewAllowlist(opt.Sizes),
		lru:     newMemCache(opt.LRUBytes, opt.LRUTTL),
		log:     opt.Logger,
	}
}

// ServeHTTP serves GET and HEAD of a variant or of the metadata document, in the edge's origin
// path form (edge.ParseOrigin: what CloudFront sends once the viewer-request function has run,
// and what the local server sends after edge.Route):
//
//	/<avif|webp|original>/<W>x<H>/<~XX-encoded key>   the variant in that format
//	/meta/<~XX-encoded key>                           the metadata document (serveMeta)
//
// The plain form /<W>x<H>/<path> (percent-encoded as usual) is also accepted, as the Original
// variant or the one ?format= names: it is what the origin answered before the edge function
// existed, and what a distribution without the function still sends. The origin never reads
// Accept: the format is in the path, so the cache key says which format a response holds.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rl := &requestLog{start: time.Now(), path: r.URL.Path}
	rec := &statusWriter{ResponseWriter: w}
	defer func() {
		if p := recover(); p != nil {
			rl.err = fmt.Errorf("panic: %v", p)
			if rec.status == 0 {
				h.writeError(rec, rl.err)
			}
		}
		rl.status, rl.bytesOut = rec.status, rec.bytes
		h.logRequest(r.Context(), rl)
	}()

	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		rec.Header().Set("Allow", "GET, HEAD")
		rl.err = fmt.Errorf("%w: %s", errMethod, r.Method)
		h.writeError(rec, rl.err)
		return
	}
	vp, isMeta, err := route(r)
	if err == nil && isMeta {
		rl.key = meta.Key(vp.Path)
		rl.err = h.serveMeta(rec, r, vp.Path)
		return
	}
	if err == nil && !h.allowed.Allows(vp.Size) {
		err = fmt.Errorf("%w: size %v is not allowed; allowed sizes: %v", errSizeNotAllowed, vp.Size, h.allowed)
	}
	if err != nil {
		rl.err = err
		h.writeError(rec, err)
		return
	}
	rl.key, rl.size = vp.Key(), vp.Size.String()
	// Set before any answer, errors included: one URL of the viewer answers in several formats.
	rec.Header().Set("Vary", "Accept")

	v, err := h.variant(r.Context(), vp, rl)
	if err != nil {
		rl.err = err
		h.writeError(rec, err)
		return
	}
	hd := rec.Header()
	hd.Set("Content-Type", v.contentType)
	hd.Set("ETag", v.etag)
	hd.Set("Cache-Control", h.opt.CacheControl)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Server-Timing", rl.serverTiming())
	http.ServeContent(rec, r, "", time.Time{}, bytes.NewReader(v.body))
}

// route reads the request's path: the origin form (first segment a format token or "meta"),
// else the plain form. meta is true for /meta/<key>, whose key is then in Path.
func route(r *http.Request) (vp variantpath.Variant, meta bool, err error) {
	first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if _, ferr := variantpath.ParseFormatToken(first); ferr == nil || first == edge.MetaPrefix {
		// The escaped path, so that only the canonical spelling of a key is read (a %7E
		// for a ~ would be a second origin path, so a second cache entry, for one variant).
		req, err := edge.ParseOrigin(r.URL.EscapedPath())
		if err != nil {
			return variantpath.Variant{}, false, err
		}
		return variantpath.Variant{Format: req.Format, Size: req.Size, Path: req.Key}, req.Meta, nil
	}
	vp, err = variantpath.Parse(r.URL.Path)
	if err != nil {
		return vp, false, err
	}
	// No Accept: the origin serves what the URL says (?format=, else the original's format).
	if vp.Format, err = edge.Choose(r.URL.Query(), ""); err != nil {
		return variantpath.Variant{}, false, err
	}
	return vp, false, nil
}

// newCached is a variant as served; storeETag is the variants store's ETag of the object it was
// read from ("" when unknown: such an entry is never served from the LRU).
func newCached(body []byte, contentType, storeETag string) *cached {
	sum := sha256.Sum256(body)
	return &cached{body: body, contentType: contentType, storeETag: storeETag, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
}

// writeError answers err with its status and short public text (toHTTPError): 4xx may be
// cached briefly, 5xx never. The caller has put err in the request's log line.
func (h *Handler) writeError(w http.ResponseWriter, err error) {
	code, msg := toHTTPError(err)
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

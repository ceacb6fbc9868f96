// Package handler is the core of the image origin: it serves GET/HEAD /<W>x<H>/<path> from the
// variants store, makes missing variants from the originals store, and keeps variants in step
// with their original when it is uploaded, replaced or deleted. The same Handler serves the
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
	Invalidator     Invalidator // optional: the CDN to purge when an original changes
	OriginalsPrefix string      // key prefix of originals, e.g. "originals/"
	Sizes           []size.Size // the allowlist
	PrewarmSizes    []size.Size // made on upload
	CacheControl    string      // on 200 and 304
	ErrorCache      string      // on 4xx
	LRUBytes        int64       // in-process variant cache; 0 turns it off
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
	return &Handler{
		opt:     opt,
		allowed: size.NewAllowlist(opt.Sizes),
		lru:     newMemCache(opt.LRUBytes, opt.LRUTTL),
		log:     opt.Logger,
	}
}

// ServeHTTP serves GET and HEAD /<W>x<H>/<path>.
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
	// GET /meta/<path> (issue 12). The only /meta route until the edge issue's router calls
	// serveMeta itself.
	if p, ok := strings.CutPrefix(r.URL.Path, "/"+meta.KeyPrefix+"/"); ok {
		rl.key = meta.Key(p)
		rl.err = h.serveMeta(rec, r, p)
		return
	}
	vp, err := variantpath.Parse(r.URL.Path)
	if err == nil && !h.allowed.Allows(vp.Size) {
		err = fmt.Errorf("%w: size %v is not allowed; allowed sizes: %v", errSizeNotAllowed, vp.Size, h.allowed)
	}
	if err != nil {
		rl.err = err
		h.writeError(rec, err)
		return
	}
	rl.key, rl.size = vp.Key(), vp.Size.String()

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

func newCached(body []byte, contentType string) *cached {
	sum := sha256.Sum256(body)
	return &cached{body: body, contentType: contentType, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
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

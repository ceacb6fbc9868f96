package handler_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/imgorigin/imgorigin/handler"
	"github.com/imgorigin/imgorigin/handler/config"
	"github.com/imgorigin/imgorigin/handler/imaging"
	"github.com/imgorigin/imgorigin/handler/s3event"
	"github.com/imgorigin/imgorigin/handler/s3store"
	"github.com/imgorigin/imgorigin/handler/variantpath"
	"github.com/imgorigin/imgorigin/internal/imagetest"
	"github.com/imgorigin/imgorigin/internal/s3test"
)

// countingStore counts the calls that reach a real store.
type countingStore struct {
	handler.Store
	gets, puts, heads atomic.Int64
}

func (c *countingStore) Head(ctx context.Context, key string) (*handler.Object, error) {
	c.heads.Add(1)
	return c.Store.Head(ctx, key)
}

func (c *countingStore) Get(ctx context.Context, key string) (*handler.Object, error) {
	c.gets.Add(1)
	return c.Store.Get(ctx, key)
}

func (c *countingStore) Put(ctx context.Context, key string, o *handler.Object, cond handler.Cond) error {
	c.puts.Add(1)
	return c.Store.Put(ctx, key, o, cond)
}

// countingResizer counts decodes by the real libvips resizer.
type countingResizer struct {
	handler.Resizer
	calls atomic.Int64
}

func (c *countingResizer) Make(src []byte, job handler.Job) (handler.Made, error) {
	c.calls.Add(1)
	return c.Resizer.Make(src, job)
}

type env struct {
	srv       *s3test.Server
	originals *countingStore
	variants  *countingStore
	resizer   *countingResizer
	h         *handler.Handler
	cfg       config.Config
}

func newEnv(t *testing.T, srv *s3test.Server, lru int64) *env {
	t.Helper()
	cfg := config.Default()
	e := &env{
		srv:       srv,
		cfg:       cfg,
		originals: &countingStore{Store: &s3store.Bucket{Client: srv.Client, Name: srv.Bucket, MaxBytes: cfg.MaxSourceBytes}},
		variants:  &countingStore{Store: &s3store.Bucket{Client: srv.Client, Name: srv.Bucket}},
		resizer: &countingResizer{Resizer: imaging.New(imaging.Options{
			Quality: cfg.JPEGQuality, MaxBytes: cfg.MaxSourceBytes, MaxPixels: 4_000_000, MaxFrames: cfg.MaxFrames,
		})},
	}
	opt := handler.OptionsFrom(cfg)
	opt.Originals, opt.Variants, opt.Resizer = e.originals, e.variants, e.resizer
	opt.LRUBytes, opt.Logger = lru, slog.New(slog.DiscardHandler)
	e.h = handler.New(opt)
	return e
}

func (e *env) get(t *testing.T, method, target string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, "http://origin.test"+target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// bandsJPEG is a 3:1 image: red, green (the middle half), blue. A 4:3 centre crop is all green.
func bandsJPEG(t testing.TB, w, h int) []byte {
	return imagetest.EncodeJPEG(t, imagetest.Bands(w, h), 95)
}

// checkImage decodes body and asserts format, exact size and a green centre.
func checkImage(t *testing.T, body []byte, wantFormat string, w, h int) {
	t.Helper()
	img, f, err := image.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if f != wantFormat || img.Bounds().Dx() != w || img.Bounds().Dy() != h {
		t.Fatalf("got %s %v, want %s %dx%d", f, img.Bounds().Size(), wantFormat, w, h)
	}
	r, g, b, _ := img.At(w/2, h/2).RGBA()
	if r>>8 > 40 || g>>8 < 215 || b>>8 > 40 {
		t.Fatalf("centre pixel %d,%d,%d: want green (the middle band)", r>>8, g>>8, b>>8)
	}
}

const (
	nestedKey = "originals/nested/summer 2024/beach+sunset.jpg"
	nestedURL = "/800x600/nested/summer%202024/beach%2Bsunset.jpg"
)

func TestMissWritesVariantAndHitDoesNotReadOriginal(t *testing.T) {
	srv := s3test.Start(t)
	srv.Put(t, nestedKey, bandsJPEG(t, 1800, 600))
	e := newEnv(t, srv, 0)

	w := e.get(t, "GET", nestedURL)
	if w.Code != 200 {
		t.Fatalf("miss: %d %s", w.Code, w.Body)
	}
	checkImage(t, w.Body.Bytes(), "jpeg", 800, 600)
	for k, want := range map[string]string{
		"Content-Type":  "image/jpeg",
		"Cache-Control": config.DefaultCacheControl,
	} {
		if got := w.Header().Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if w.Header().Get("ETag") == "" || w.Header().Get("Content-Length") == "" {
		t.Errorf("missing ETag or Content-Length: %v", w.Header())
	}
	head, err := srv.Head("original/800x600/nested/summer 2024/beach+sunset.jpg")
	if err != nil {
		t.Fatalf("variant not written at its key: %v (keys %v)", err, srv.Keys(t))
	}
	if ct := *head.ContentType; ct != "image/jpeg" {
		t.Errorf("stored content type %q", ct)
	}
	if cc := *head.CacheControl; cc != config.DefaultCacheControl {
		t.Errorf("stored cache control %q", cc)
	}
	if !bytes.Equal(srv.Get(t, "original/800x600/nested/summer 2024/beach+sunset.jpg"), w.Body.Bytes()) {
		t.Error("stored variant differs from the one served")
	}

	// The original goes away; a fresh handler (empty LRU) still serves the variant from the bucket.
	srv.Delete(t, nestedKey)
	e2 := newEnv(t, srv, 0)
	w2 := e2.get(t, "GET", nestedURL)
	if w2.Code != 200 || !bytes.Equal(w2.Body.Bytes(), w.Body.Bytes()) {
		t.Fatalf("hit: %d, same body %v", w2.Code, bytes.Equal(w2.Body.Bytes(), w.Body.Bytes()))
	}
	if n := e2.originals.gets.Load(); n != 0 {
		t.Errorf("a hit read the original %d times", n)
	}
	if n := e2.resizer.calls.Load(); n != 0 {
		t.Errorf("a hit decoded %d times", n)
	}
	if st := w2.Header().Get("Server-Timing"); !strings.HasPrefix(st, "bucket") {
		t.Errorf("Server-Timing %q, want bucket", st)
	}
}

// An LRU hit reads no body from the bucket: one HEAD checks that the bucket still holds what
// was cached (a replaced variant is never served from memory: TestWarmOriginNeverServesAReplacedVariant).
func TestLRUHitIsOneHeadAndNoGet(t *testing.T) {
	srv := s3test.Start(t)
	srv.Put(t, "originals/a.jpg", bandsJPEG(t, 1200, 400))
	e := newEnv(t, srv, 8<<20)
	if w := e.get(t, "GET", "/400x300/a.jpg"); w.Code != 200 {
		t.Fatalf("%d", w.Code)
	}
	gets, heads := e.variants.gets.Load(), e.variants.heads.Load()
	w := e.get(t, "GET", "/400x300/a.jpg")
	checkImage(t, w.Body.Bytes(), "jpeg", 400, 300)
	if st := w.Header().Get("Server-Timing"); !strings.HasPrefix(st, "lru") {
		t.Errorf("Server-Timing %q, want an LRU hit", st)
	}
	if g, h := e.variants.gets.Load()-gets, e.variants.heads.Load()-heads; g != 0 || h != 1 {
		t.Errorf("an LRU hit made %d GETs and %d HEADs of the bucket, want 0 and 1", g, h)
	}
}

func TestConditionalAndHead(t *testing.T) {
	srv := s3test.Start(t)
	srv.Put(t, "originals/a.jpg", bandsJPEG(t, 1200, 400))
	e := newEnv(t, srv, 8<<20)
	w := e.get(t, "GET", "/200x150/a.jpg")
	etag := w.Header().Get("ETag")
	if w.Code != 200 || etag == "" {
		t.Fatalf("%d %q", w.Code, etag)
	}
	if w := e.get(t, "GET", "/200x150/a.jpg", "If-None-Match", etag); w.Code != 304 || w.Body.Len() != 0 {
		t.Errorf("If-None-Match: %d, %d bytes", w.Code, w.Body.Len())
	}
	h := e.get(t, "HEAD", "/200x150/a.jpg")
	if h.Code != 200 || h.Body.Len() != 0 || h.Header().Get("Content-Length") != w.Header().Get("Content-Length") ||
		h.Header().Get("ETag") != etag || h.Header().Get("Content-Type") != "image/jpeg" {
		t.Errorf("HEAD: %d, body %d, headers %v", h.Code, h.Body.Len(), h.Header())
	}
}

// Every row of the contract's error table: status, a short body that leaks nothing, the cache
// header, and no object written.
func TestContractErrors(t *testing.T) {
	srv := s3test.Start(t)
	e := newEnv(t, srv, 8<<20)
	jpg := bandsJPEG(t, 800, 300)
	srv.Put(t, "originals/ok.jpg", jpg)
	srv.Put(t, "originals/notes.jpg", []byte("just some text, not an image\n"))
	srv.Put(t, "originals/vector.jpg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>`))
	srv.Put(t, "originals/doc.jpg", []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"))
	srv.Put(t, "originals/ps.jpg", []byte("%!PS-Adobe-3.0\nshowpage\n"))
	srv.Put(t, "originals/truncated.jpg", jpg[:len(jpg)/3])
	srv.Put(t, "originals/huge.jpg", bandsJPEG(t, 3000, 2000)) // 6 MP, over the test's 4 MP limit
	before := srv.Keys(t)

	cases := []struct {
		method, target string
		code           int
		bodyHas        string
	}{
		{"GET", "/abc/ok.jpg", 400, "size"},
		{"GET", "/abc", 400, ""},
		{"GET", "/", 400, ""},
		{"GET", "/0x10/ok.jpg", 400, ""},
		{"GET", "/800x600/../originals/ok.jpg", 400, ""},
		{"GET", "/800x600/%2e%2e/ok.jpg", 400, ""},
		{"GET", "/800x600/a/%2E%2E/ok.jpg", 400, ""},
		{"GET", "/800x600/", 400, "empty"},
		{"GET", "/800x600//ok.jpg", 400, ""},
		{"GET", "/800x600/ok%00.jpg", 400, ""},
		{"GET", "/0800x600/ok.jpg", 400, ""},
		{"GET", "/-1x5/ok.jpg", 400, ""},
		{"GET", "/99999999x1/ok.jpg", 400, ""},
		{"GET", "/800x600x1/ok.jpg", 400, ""},
		{"GET", "/801x600/ok.jpg", 400, "800x600,400x300,200x150"},
		{"GET", "/800x600/missing.jpg", 404, "not found"},
		{"GET", "/800x600/notes.jpg", 415, ""},
		{"GET", "/800x600/vector.jpg", 415, ""},
		{"GET", "/800x600/doc.jpg", 415, ""},
		{"GET", "/800x600/ps.jpg", 415, ""},
		{"GET", "/800x600/truncated.jpg", 422, ""},
		{"GET", "/800x600/huge.jpg", 422, ""},
		{"POST", "/800x600/ok.jpg", 405, ""},
		{"DELETE", "/800x600/ok.jpg", 405, ""},
	}
	leaks := []string{"vips", "openat", "originals/", srv.Bucket, "127.0.0.1", "goroutine", ".go:", "VipsJpeg", "api error", "operation error"}
	for _, c := range cases {
		w := e.get(t, c.method, c.target)
		body := w.Body.String()
		if w.Code != c.code {
			t.Errorf("%s %s: %d %q, want %d", c.method, c.target, w.Code, body[:min(len(body), 80)], c.code)
			continue
		}
		if !strings.Contains(body, c.bodyHas) || len(body) > 200 {
			t.Errorf("%s %s: body %q, want a short text with %q", c.method, c.target, body, c.bodyHas)
		}
		for _, l := range leaks {
			if strings.Contains(body, l) {
				t.Errorf("%s %s: body %q leaks %q", c.method, c.target, body, l)
			}
		}
		if cc := w.Header().Get("Cache-Control"); cc != config.DefaultErrorCache {
			t.Errorf("%s %s: Cache-Control %q", c.method, c.target, cc)
		}
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("%s %s: Content-Type %q", c.method, c.target, ct)
		}
	}
	if after := srv.Keys(t); !slices.Equal(before, after) {
		t.Errorf("errors wrote objects: before %v, after %v", before, after)
	}
}

func TestStorageDownIs5xxNoStore(t *testing.T) {
	srv := s3test.Start(t)
	srv.Put(t, "originals/a.jpg", bandsJPEG(t, 1200, 400))
	e := newEnv(t, srv, 0)
	srv.Stop()
	w := e.get(t, "GET", "/800x600/a.jpg")
	if w.Code != 503 && w.Code != 502 {
		t.Fatalf("storage down: %d %q", w.Code, w.Body)
	}
	if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("5xx Cache-Control %q", cc)
	}
}

func TestConcurrentMissesShareOneDecodeAndOneWrite(t *testing.T) {
	srv := s3test.Start(t)
	srv.Put(t, "originals/cold.jpg", bandsJPEG(t, 2400, 800))
	e := newEnv(t, srv, 8<<20)
	var wg sync.WaitGroup
	codes := make([]int, 50)
	start := make(chan struct{})
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			codes[i] = e.get(t, "GET", "/800x600/cold.jpg").Code
		}()
	}
	close(start)
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Fatalf("request %d: %d", i, c)
		}
	}
	if n := e.resizer.calls.Load(); n != 1 {
		t.Errorf("%d decodes, want 1", n)
	}
	if n := e.variants.puts.Load(); n != 1 {
		t.Errorf("%d writes, want 1", n)
	}
}

func TestPrewarmMakesEverySize(t *testing.T) {
	srv := s3test.Start(t)
	srv.Put(t, nestedKey, bandsJPEG(t, 2400, 800))
	e := newEnv(t, srv, 0)
	if err := e.h.Prewarm(context.Background(), nestedKey); err != nil {
		t.Fatal(err)
	}
	if n := e.resizer.calls.Load(); n != 1 {
		t.Errorf("%d decodes for %d sizes, want 1", n, len(e.cfg.PrewarmSizes))
	}
	for _, s := range e.cfg.PrewarmSizes {
		checkImage(t, srv.Get(t, variantpath.Variant{Size: s, Path: "nested/summer 2024/beach+sunset.jpg"}.Key()), "jpeg", s.W, s.H)
	}
	// A retry is harmless; keys outside the prefix, missing and bad originals are skipped.
	if err := e.h.Prewarm(context.Background(), nestedKey); err != nil {
		t.Errorf("retry: %v", err)
	}
	srv.Put(t, "originals/bad.jpg", []byte("not an image"))
	for _, k := range []string{"elsewhere/x.jpg", "originals/missing.jpg", "originals/bad.jpg", "originals/../x.jpg"} {
		if err := e.h.Prewarm(context.Background(), k); err != nil {
			t.Errorf("%s: %v, want skipped", k, err)
		}
	}
	srv.Stop()
	if err := e.h.Prewarm(context.Background(), nestedKey); err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("storage down: %v, want an error for Lambda to retry", err)
	}
}

func TestPanicIsA500ForThatRequestOnly(t *testing.T) {
	srv := s3test.Start(t)
	srv.Put(t, "originals/a.jpg", bandsJPEG(t, 1200, 400))
	cfg := config.Default()
	h := handler.New(handler.Options{
		Originals: &s3store.Bucket{Client: srv.Client, Name: srv.Bucket},
		Variants:  &s3store.Bucket{Client: srv.Client, Name: srv.Bucket},
		Resizer:   panicky{}, OriginalsPrefix: cfg.OriginalsPrefix, Sizes: cfg.Sizes,
		CacheControl: cfg.CacheControl, ErrorCache: cfg.ErrorCacheControl,
		Logger: slog.New(slog.DiscardHandler),
	})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/800x600/a.jpg", nil))
	if w.Code != 500 || strings.Contains(w.Body.String(), "boom") || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("panic: %d %q %v", w.Code, w.Body, w.Header())
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/800x600/missing.jpg", nil))
	if w.Code != 404 {
		t.Fatalf("after a panic: %d", w.Code)
	}
}

type panicky struct{}

func (panicky) Make([]byte, handler.Job) (handler.Made, error) { panic("boom") }

var _ http.Handler = (*handler.Handler)(nil)

// The recorded SNS-wrapped S3 put (key URL-encoded by S3: a space as "+", a "+" as "%2B"),
// through the same decoding the pre-warm Lambda uses, makes every standard variant.
func TestPrewarmFromRecordedSNSEvent(t *testing.T) {
	srv := s3test.Start(t)
	srv.Put(t, nestedKey, bandsJPEG(t, 2400, 800))
	e := newEnv(t, srv, 0)
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "events", "sns-s3-put.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s3event.Handler(e.h, slog.New(slog.DiscardHandler))(context.Background(), raw); err != nil {
		t.Fatal(err)
	}
	for _, s := range e.cfg.PrewarmSizes {
		checkImage(t, srv.Get(t, variantpath.Variant{Size: s, Path: "nested/summer 2024/beach+sunset.jpg"}.Key()), "jpeg", s.W, s.H)
	}
	if n := e.resizer.calls.Load(); n != 1 {
		t.Errorf("%d decodes for %d sizes", n, len(e.cfg.PrewarmSizes))
	}
	// The test event S3 sends when the notification is configured does nothing.
	before := srv.Keys(t)
	raw, _ = os.ReadFile(filepath.Join("..", "testdata", "events", "sns-s3-testevent.json"))
	if err := s3event.Handler(e.h, slog.New(slog.DiscardHandler))(context.Background(), raw); err != nil {
		t.Fatal(err)
	}
	if after := srv.Keys(t); !slices.Equal(before, after) {
		t.Errorf("test event changed the bucket: %v -> %v", before, after)
	}
}

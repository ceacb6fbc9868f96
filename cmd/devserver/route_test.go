package main

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/imgorigin/imgorigin/handler/config"
	"github.com/imgorigin/imgorigin/handler/format"
	"github.com/imgorigin/imgorigin/handler/fsstore"
	"github.com/imgorigin/imgorigin/handler/imaging"
	"github.com/imgorigin/imgorigin/handler/size"
	"github.com/imgorigin/imgorigin/internal/app"
)

// The local server makes the edge's decision before the handler, as CloudFront does: the same
// viewer URL is AVIF for Chrome, WebP for Safari 16.0, the original's format for curl and what
// ?format= says for an e-mail client; each is stored as its own variant; junk is refused before
// the handler sees it.
func TestLocalServerNegotiatesLikeTheEdge(t *testing.T) {
	dir := t.TempDir()
	orig, err := os.ReadFile(filepath.Join("..", "..", "testdata", "originals", "nested", "summer 2024", "beach+sunset.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "originals", "summer 2024"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "originals", "summer 2024", "beach+sunset.jpg"), orig, 0o644); err != nil {
		t.Fatal(err)
	}
	originals, err := fsstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(dir, "cache")
	variants, err := fsstore.Open(cache)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	h := app.Handler(cfg, originals, variants, nil, slog.New(slog.DiscardHandler))
	srv := toOrigin(h, size.NewAllowlist(cfg.Sizes))
	const viewer = "/400x300/summer%202024/beach+sunset.jpg"
	for _, c := range []struct {
		client, accept, query string
		want                  format.Format
		stored                string
	}{
		{"Chrome", "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8", "", format.AVIF, "avif"},
		{"Safari 16.0", "image/webp,image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5", "", format.WebP, "webp"},
		{"curl", "*/*", "", format.JPEG, "original"},
		{"e-mail client asking WebP", "", "?format=webp", format.WebP, "webp"},
	} {
		r := httptest.NewRequest("GET", viewer+c.query, nil)
		if c.accept != "" {
			r.Header.Set("Accept", c.accept)
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		if w.Code != 200 {
			t.Fatalf("%s: %d %q", c.client, w.Code, w.Body)
		}
		body := w.Body.Bytes()
		if got := format.Sniff(body); got != c.want || w.Header().Get("Vary") != "Accept" {
			t.Errorf("%s: %s, Vary %q; want %s", c.client, got, w.Header().Get("Vary"), c.want)
		}
		if bw, bh, err := imaging.Dimensions(body); err != nil || bw != 400 || bh != 300 {
			t.Errorf("%s: %dx%d (%v)", c.client, bw, bh, err)
		}
		if _, err := os.Stat(filepath.Join(cache, c.stored, "400x300", "summer 2024", "beach+sunset.jpg")); err != nil {
			t.Errorf("%s: not stored under %s/: %v", c.client, c.stored, err)
		}
	}
	for path, want := range map[string]int{
		"/401x300/summer%202024/beach+sunset.jpg":          http.StatusBadRequest,
		"/400x300/summer%202024/beach+sunset.jpg?format=x": http.StatusBadRequest,
		"/400x300/a%00.jpg":                                http.StatusBadRequest,
		"/favicon.ico":                                     http.StatusNotFound,
		"/400x300/missing.jpg":                             http.StatusNotFound,
	} {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if w.Code != want {
			t.Errorf("%s: %d, want %d", path, w.Code, want)
		}
	}
}

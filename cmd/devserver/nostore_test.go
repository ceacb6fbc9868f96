package main

import (
	"bytes"
	"image"
	_ "image/jpeg"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imgorigin/imgorigin/handler"
	"github.com/imgorigin/imgorigin/handler/config"
	"github.com/imgorigin/imgorigin/handler/fsstore"
	"github.com/imgorigin/imgorigin/internal/app"
)

// With -store-nothing every request for a variant is made again (Server-Timing "made"), the
// answer is the variant at its exact size, and nothing is written anywhere.
func TestStoreNothingMakesEveryRequest(t *testing.T) {
	dir := t.TempDir()
	orig, err := os.ReadFile(filepath.Join("..", "..", "testdata", "originals", "landscape.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "originals"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "originals", "a.jpg"), orig, 0o644); err != nil {
		t.Fatal(err)
	}
	originals, err := fsstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.LRUBytes = 0
	opt := handler.OptionsFrom(cfg)
	opt.Originals, opt.Variants, opt.Resizer = originals, noStore{}, app.Resizer(cfg)
	opt.Logger = slog.New(slog.DiscardHandler)
	h := handler.New(opt)
	for i := range 2 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/400x300/a.jpg", nil))
		if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Server-Timing"), "made;") {
			t.Fatalf("request %d: %d, Server-Timing %q", i+1, w.Code, w.Header().Get("Server-Timing"))
		}
		c, format, err := image.DecodeConfig(bytes.NewReader(w.Body.Bytes()))
		if err != nil || format != "jpeg" || c.Width != 400 || c.Height != 300 {
			t.Fatalf("request %d: %s %dx%d %v", i+1, format, c.Width, c.Height, err)
		}
	}
	var files []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if len(files) != 1 {
		t.Errorf("files after two misses: %v, want only the original", files)
	}
}

package handler_test

import (
	"bytes"
	"context"
	"image/color"
	"strings"
	"testing"

	"github.com/imgorigin/imgorigin/edge"
	"github.com/imgorigin/imgorigin/handler/format"
	"github.com/imgorigin/imgorigin/handler/size"
	"github.com/imgorigin/imgorigin/internal/s3test"
)

// A warm origin holds a variant in its LRU; the original is replaced and the pre-warm function
// (another process: another Handler over the same bucket) rebuilds the variant. The next
// request to the warm origin, which is what CloudFront's miss after the invalidation sends,
// gets the new bytes, not the old ones it held.
func TestWarmOriginNeverServesAReplacedVariant(t *testing.T) {
	srv := s3test.Start(t)
	origin, _ := lifecycleEnv(t, srv)  // LRU on
	prewarm, _ := lifecycleEnv(t, srv) // the pre-warm function
	ctx := context.Background()
	srv.Put(t, lcKey, solidJPEG(t, color.RGBA{200, 0, 0, 255}))
	if err := prewarm.Prewarm(ctx, lcKey); err != nil {
		t.Fatal(err)
	}
	p := edge.Request{Format: edge.WebP, Size: size.Size{W: 800, H: 600}, Key: lcPath}.OriginPath()
	first := serve(origin, p)
	second := serve(origin, p)
	if first.Code != 200 || second.Code != 200 || !strings.HasPrefix(second.Header().Get("Server-Timing"), "lru") {
		t.Fatalf("warm-up: %d %d, second Server-Timing %q (want an LRU hit)", first.Code, second.Code, second.Header().Get("Server-Timing"))
	}
	old := second.Body.Bytes()

	srv.Put(t, lcKey, solidJPEG(t, color.RGBA{0, 0, 200, 255}))
	if err := prewarm.Prewarm(ctx, lcKey); err != nil {
		t.Fatal(err)
	}
	stored := srv.Get(t, "webp/800x600/"+lcPath)
	if bytes.Equal(stored, old) {
		t.Fatal("pre-warm did not replace the WebP variant")
	}
	after := serve(origin, p)
	if after.Code != 200 || !bytes.Equal(after.Body.Bytes(), stored) {
		t.Fatalf("warm origin after the replace: %d, %d bytes; want the %d new bytes (old were %d)", after.Code, after.Body.Len(), len(stored), len(old))
	}
	if st := after.Header().Get("Server-Timing"); strings.HasPrefix(st, "lru") {
		t.Errorf("Server-Timing %q: served from the LRU after a replace", st)
	}
	// And what it holds now is the new variant.
	again := serve(origin, p)
	if !bytes.Equal(again.Body.Bytes(), stored) || !strings.HasPrefix(again.Header().Get("Server-Timing"), "lru") {
		t.Errorf("next request: Server-Timing %q, new bytes %v", again.Header().Get("Server-Timing"), bytes.Equal(again.Body.Bytes(), stored))
	}
	// A deleted variant is not served from memory either: the original is gone too, so 404.
	srv.Delete(t, lcKey)
	if err := prewarm.Remove(ctx, lcKey); err != nil {
		t.Fatal(err)
	}
	if w := serve(origin, p); w.Code != 404 {
		t.Errorf("after delete: %d, want 404", w.Code)
	}
}

// Each format token of the origin path is its own variant, stored at its own key, with the
// headers a browser and CloudFront need; the plain form and ?format= still work.
func TestOriginPathServesEachFormat(t *testing.T) {
	srv := s3test.Start(t)
	srv.Put(t, "originals/a b+c.jpg", bandsJPEG(t, 1200, 400))
	e := newEnv(t, srv, 1<<20)
	s := size.Size{W: 400, H: 300}
	for _, c := range []struct {
		path string
		want format.Format
		key  string
	}{
		{edge.Request{Format: edge.AVIF, Size: s, Key: "a b+c.jpg"}.OriginPath(), format.AVIF, "avif/400x300/a b+c.jpg"},
		{edge.Request{Format: edge.WebP, Size: s, Key: "a b+c.jpg"}.OriginPath(), format.WebP, "webp/400x300/a b+c.jpg"},
		{edge.Request{Format: edge.Original, Size: s, Key: "a b+c.jpg"}.OriginPath(), format.JPEG, "original/400x300/a b+c.jpg"},
		{"/400x300/a%20b+c.jpg", format.JPEG, "original/400x300/a b+c.jpg"},
		{"/400x300/a%20b+c.jpg?format=webp", format.WebP, "webp/400x300/a b+c.jpg"},
	} {
		w := e.get(t, "GET", c.path)
		if w.Code != 200 {
			t.Fatalf("%s: %d %s", c.path, w.Code, w.Body)
		}
		body := w.Body.Bytes()
		if got := format.Sniff(body); got != c.want || w.Header().Get("Content-Type") != c.want.ContentType() {
			t.Errorf("%s: %s (%s), want %s", c.path, got, w.Header().Get("Content-Type"), c.want)
		}
		if w.Header().Get("Vary") != "Accept" || w.Header().Get("Cache-Control") != "public, max-age=300, s-maxage=31536000" {
			t.Errorf("%s: Vary %q, Cache-Control %q", c.path, w.Header().Get("Vary"), w.Header().Get("Cache-Control"))
		}
		if !bytes.Equal(srv.Get(t, c.key), body) {
			t.Errorf("%s: not stored at %q", c.path, c.key)
		}
		if c.want == format.JPEG {
			checkImage(t, body, "jpeg", 400, 300)
		}
		// A browser revalidates: 304 for its ETag.
		if r := e.get(t, "GET", c.path, "If-None-Match", w.Header().Get("ETag")); r.Code != 304 {
			t.Errorf("%s: revalidation %d, want 304", c.path, r.Code)
		}
	}
	for _, bad := range []string{
		"/webp/400x300/a b+c.jpg",       // not the encoded form
		"/webp/400x300/a~20b~2bc.jpg",   // lower-case hex: not canonical
		"/webp/400x300/a%7E20b~2Bc.jpg", // ~ escaped: a second spelling
		"/jpeg/400x300/a.jpg",
		"/400x300/a.jpg?format=gif",
		"/webp/401x300/a~20b~2Bc.jpg", // not allowed
	} {
		if w := e.get(t, "GET", strings.ReplaceAll(bad, " ", "%20")); w.Code != 400 {
			t.Errorf("%s: %d, want 400", bad, w.Code)
		}
	}
	// The edge's /meta form reaches the document of the decoded key.
	if w := e.get(t, "GET", "/meta/a~20b~2Bc.jpg"); w.Code != 200 || w.Header().Get("Content-Type") != "application/json" || !strings.Contains(w.Body.String(), `"path":"a b+c.jpg"`) {
		t.Errorf("/meta/a~20b~2Bc.jpg: %d %q %.200s", w.Code, w.Header().Get("Content-Type"), w.Body.String())
	}
	if w := e.get(t, "GET", "/meta/a%20b+c.jpg"); w.Code != 400 {
		t.Errorf("/meta/ with a key not in the edge's form: %d, want 400", w.Code)
	}
}

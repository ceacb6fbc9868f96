package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/imgorigin/imgorigin/handler"
	"github.com/imgorigin/imgorigin/handler/config"
	"github.com/imgorigin/imgorigin/handler/focus"
	"github.com/imgorigin/imgorigin/handler/imaging"
	"github.com/imgorigin/imgorigin/handler/meta"
	"github.com/imgorigin/imgorigin/handler/s3event"
	"github.com/imgorigin/imgorigin/handler/s3store"
	"github.com/imgorigin/imgorigin/internal/s3test"
)

// subjectJPEG is testdata/fixtures/subject-landscape.jpg: 2000x800, a figure (skin and red and
// yellow stripes) at x 1600-1899, y 250-649, which a 4:3 centre crop (x 466-1532) misses.
func subjectJPEG(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "fixtures", "subject-landscape.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// putWithFocus uploads body at key with the uploader's focal point, as `aws s3 cp --metadata
// focal-point=...` does.
func putWithFocus(t *testing.T, srv *s3test.Server, key string, body []byte, fp string) {
	t.Helper()
	_, err := srv.Client.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(srv.Bucket), Key: aws.String(key), Body: bytes.NewReader(body),
		Metadata: map[string]string{"focal-point": fp},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// subjectPixels counts the figure's pixels (red well above green; the sky is never) in an image.
func subjectPixels(t *testing.T, body []byte) (n int, bounds image.Rectangle) {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, _, _ := img.At(x, y).RGBA()
			if int(r>>8)-int(g>>8) > 25 {
				n++
				bounds = bounds.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return n, bounds
}

func decodeDoc(t *testing.T, body []byte) meta.Doc {
	t.Helper()
	d, err := meta.Parse(body)
	if err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return d
}

// GET /meta/<path>: made from the original on a miss (one decode), stored with the original's
// ETag; then served from the store with one small read and no decode; 304 on its ETag; errors
// as for images.
func TestMetaMissThenHitIsOneReadNoDecode(t *testing.T) {
	srv := s3test.Start(t)
	putWithFocus(t, srv, "originals/people/figure.jpg", subjectJPEG(t), "0.875,0.5625")
	e := newEnv(t, srv, 1<<20)

	w := e.get(t, "GET", "/meta/people/figure.jpg")
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" || w.Header().Get("Cache-Control") != e.cfg.CacheControl {
		t.Fatalf("miss: %d %v %s", w.Code, w.Header(), w.Body)
	}
	d := decodeDoc(t, w.Body.Bytes())
	if d.Width != 2000 || d.Height != 800 || d.Format != "jpeg" || d.Path != "people/figure.jpg" {
		t.Errorf("doc %+v", d)
	}
	if d.Focus != (meta.Focus{X: 0.875, Y: 0.5625, Source: focus.FromMetadata}) {
		t.Errorf("focus %+v, want the uploader's", d.Focus)
	}
	if len(d.Aspects) != 1 || d.Aspects[0].Box != (meta.Box{X: 933, Y: 0, Width: 1067, Height: 800}) || d.Placeholder == "" || d.Aspects[0].Placeholder == "" {
		t.Errorf("aspects %+v, placeholder %q", d.Aspects, d.Placeholder)
	}
	if want := "/800x600/people/figure.jpg 800w, /400x300/people/figure.jpg 400w, /200x150/people/figure.jpg 200w"; d.Aspects[0].Srcset != want {
		t.Errorf("srcset %q, want %q", d.Aspects[0].Srcset, want)
	}
	if n := e.resizer.calls.Load(); n != 1 {
		t.Errorf("%d decodes for a /meta miss", n)
	}
	head, err := srv.Head("meta/people/figure.jpg")
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := srv.Head("originals/people/figure.jpg")
	if head.Metadata[handler.MetaSourceETag] != aws.ToString(orig.ETag) || aws.ToString(head.ContentType) != meta.ContentType {
		t.Errorf("stored doc: metadata %v, type %q; original's ETag %s", head.Metadata, aws.ToString(head.ContentType), aws.ToString(orig.ETag))
	}
	if !bytes.Equal(srv.Get(t, "meta/people/figure.jpg"), w.Body.Bytes()) {
		t.Error("served and stored documents differ")
	}

	// A fresh process (no LRU): one read of the variants store, nothing else.
	e = newEnv(t, srv, 0)
	w2 := e.get(t, "GET", "/meta/people/figure.jpg")
	if w2.Code != 200 || !bytes.Equal(w2.Body.Bytes(), w.Body.Bytes()) {
		t.Fatalf("hit: %d %s", w2.Code, w2.Body)
	}
	if d, o, v := e.resizer.calls.Load(), e.originals.gets.Load(), e.variants.gets.Load(); d != 0 || o != 0 || v != 1 {
		t.Errorf("hit: %d decodes, %d original reads, %d variant-store reads; want 0, 0, 1", d, o, v)
	}
	if w3 := e.get(t, "GET", "/meta/people/figure.jpg", "If-None-Match", w2.Header().Get("ETag")); w3.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", w3.Code)
	}
	if w3 := e.get(t, "HEAD", "/meta/people/figure.jpg"); w3.Code != 200 || w3.Body.Len() != 0 {
		t.Errorf("HEAD: %d, %d bytes", w3.Code, w3.Body.Len())
	}

	// Errors as for images, never a document.
	srv.Put(t, "originals/notes.jpg", []byte("not an image at all"))
	for target, want := range map[string]int{
		"/meta/missing.jpg":  404,
		"/meta/notes.jpg":    415,
		"/meta/a//b.jpg":     400,
		"/meta/../x.jpg":     400,
		"/meta/people/":      400,
		"/meta/people/x.jpg": 404,
	} {
		if w := e.get(t, "GET", target); w.Code != want || strings.Contains(w.Body.String(), "{") {
			t.Errorf("%s: %d %q, want %d", target, w.Code, w.Body, want)
		}
	}
	if keys := srv.Keys(t); len(keys) != 3 {
		t.Errorf("stored %v: an error left a document", keys)
	}

	// A miss for a variant crops around the uploader's focal point: the figure is in the
	// picture, where a centre crop has only sky.
	v := e.get(t, "GET", "/400x300/people/figure.jpg")
	if n, b := subjectPixels(t, v.Body.Bytes()); v.Code != 200 || n < 1000 || b.Min.X < 1 || b.Max.X > 399 {
		t.Errorf("400x300: %d, %d figure pixels in %v", v.Code, n, b)
	}
}

// recordingResizer records each job's focal point.
type recordingResizer struct {
	handler.Resizer
	jobs []handler.Job
	made []handler.Made
}

func (r *recordingResizer) Make(src []byte, job handler.Job) (handler.Made, error) {
	m, err := r.Resizer.Make(src, job)
	r.jobs, r.made = append(r.jobs, job), append(r.made, m)
	return m, err
}

// With CROP=attention and no focal point on the original, the first miss analyses once and
// records the point in the /meta document; a later miss of another size reads it back and
// does not analyse; both show the figure.
func TestAttentionMissRecordsTheFocalPoint(t *testing.T) {
	srv := s3test.Start(t)
	srv.Put(t, "originals/figure.jpg", subjectJPEG(t))
	rr := &recordingResizer{Resizer: imaging.New(imaging.Options{Quality: 80, MaxBytes: 1 << 26, MaxPixels: 1 << 26, MaxFrames: 10, Crop: focus.FromAttention})}
	opt := handler.OptionsFrom(configWithCrop(focus.FromAttention))
	opt.Originals = &s3store.Bucket{Client: srv.Client, Name: srv.Bucket}
	opt.Variants = &s3store.Bucket{Client: srv.Client, Name: srv.Bucket}
	opt.Resizer, opt.Logger = rr, slog.New(slog.DiscardHandler)
	h := handler.New(opt)

	for i, target := range []string{"/800x600/figure.jpg", "/200x150/figure.jpg"} {
		w := serve(h, target)
		if n, _ := subjectPixels(t, w.Body.Bytes()); w.Code != 200 || n < 500 {
			t.Fatalf("%s: %d, %d figure pixels", target, w.Code, n)
		}
		job, m := rr.jobs[i], rr.made[i]
		if m.FocusSource != focus.FromAttention {
			t.Errorf("%s: focus from %q", target, m.FocusSource)
		}
		if (i == 0) != (job.Focus == nil) {
			t.Errorf("%s: job focus %v (the first miss analyses, the second reuses)", target, job.Focus)
		}
		if i == 1 && *job.Focus != rr.made[0].Focus {
			t.Errorf("second miss used %v, recorded %v", *job.Focus, rr.made[0].Focus)
		}
	}
	d := decodeDoc(t, srv.Get(t, "meta/figure.jpg"))
	if d.Focus.Source != focus.FromAttention || d.Aspects[0].Box.X < 800 {
		t.Errorf("recorded %+v, box %+v: want attention on the figure (x 1600-1899)", d.Focus, d.Aspects[0].Box)
	}
}

// A focal-point change is a metadata-only copy of the original, delivered as an upload event
// (ObjectCreated:Copy): every variant and the document are rebuilt around the new point and
// their CDN paths invalidated, whether or not the copy changed the ETag.
func TestFocalPointChangeRebuildsVariantsAndMeta(t *testing.T) {
	srv := s3test.Start(t)
	h, cdn := lifecycleEnv(t, srv)
	key, path := "originals/team/figure.jpg", "team/figure.jpg"
	putWithFocus(t, srv, key, subjectJPEG(t), "0.875,0.5625")
	upload := func(name string) {
		t.Helper()
		raw, err := os.ReadFile(filepath.Join("..", "testdata", "events", "s3-put.json"))
		if err != nil {
			t.Fatal(err)
		}
		ev := strings.Replace(string(raw), "originals/nested/summer+2024/beach%2Bsunset.jpg", "originals/team/figure.jpg", 1)
		ev = strings.Replace(ev, "ObjectCreated:Put", name, 1)
		if err := s3event.Handler(h, slog.New(slog.DiscardHandler))(context.Background(), json.RawMessage(ev)); err != nil {
			t.Fatal(err)
		}
	}
	upload("ObjectCreated:Put")
	if w := serve(h, "/200x150/"+path); w.Code != 200 { // a visitor's size, not pre-warmed
		t.Fatal(w.Code)
	}
	for _, k := range []string{"original/800x600/", "original/400x300/", "original/200x150/"} {
		if n, _ := subjectPixels(t, srv.Get(t, k+path)); n < 300 {
			t.Errorf("%s with the focal point on the figure: %d figure pixels", k, n)
		}
	}
	if d := decodeDoc(t, srv.Get(t, "meta/"+path)); d.Focus.X != 0.875 || d.Focus.Source != focus.FromMetadata {
		t.Errorf("doc focus %+v", d.Focus)
	}

	// The uploader moves the focal point to the left edge: a copy onto itself with new metadata.
	_, err := srv.Client.CopyObject(context.Background(), &s3.CopyObjectInput{
		Bucket: aws.String(srv.Bucket), Key: aws.String(key), CopySource: aws.String(srv.Bucket + "/" + key),
		Metadata: map[string]string{"focal-point": "0.1,0.5"}, MetadataDirective: types.MetadataDirectiveReplace,
	})
	if err != nil {
		t.Fatal(err)
	}
	upload("ObjectCreated:Copy")
	for _, k := range []string{"original/800x600/", "original/400x300/", "original/200x150/"} {
		if n, _ := subjectPixels(t, srv.Get(t, k+path)); n != 0 {
			t.Errorf("%s after the focal point moved to 0.1: %d figure pixels, want none", k, n)
		}
	}
	if _, err := srv.Head("original/100x100/" + path); err == nil {
		t.Error("a size nobody asked for was made")
	}
	d := decodeDoc(t, srv.Get(t, "meta/"+path))
	if d.Focus.X != 0.1 || d.Focus.Source != focus.FromMetadata || d.Aspects[0].Box.X != 0 {
		t.Errorf("doc after the change: focus %+v, box %+v", d.Focus, d.Aspects[0].Box)
	}
	inv := cdn.invalidations()
	// Every variant rebuilt (the pre-warmed original and WebP sizes, the visitor's 200x150) by
	// its origin path, each size by its viewer path, and the document (a key of unreserved
	// characters is spelt the same both ways).
	want := []string{
		"/original/800x600/team/figure.jpg", "/webp/800x600/team/figure.jpg", "/800x600/team/figure.jpg",
		"/original/400x300/team/figure.jpg", "/webp/400x300/team/figure.jpg", "/400x300/team/figure.jpg",
		"/original/200x150/team/figure.jpg", "/200x150/team/figure.jpg", "/meta/team/figure.jpg",
	}
	if len(inv) != 1 || !sameSet(inv[0], want) {
		t.Errorf("invalidations %v, want one call with %v", inv, want)
	}
	// The served copies follow (the LRU was emptied).
	if n, _ := subjectPixels(t, serve(h, "/200x150/"+path).Body.Bytes()); n != 0 {
		t.Errorf("served 200x150 still shows the figure (%d pixels)", n)
	}
	if d := decodeDoc(t, serve(h, "/meta/"+path).Body.Bytes()); d.Focus.X != 0.1 {
		t.Errorf("served doc focus %+v", d.Focus)
	}

	// Deleting the original removes the document with the variants.
	srv.Delete(t, key)
	if err := h.Remove(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Head("meta/" + path); err == nil {
		t.Error("the document survived its original")
	}
	if w := serve(h, "/meta/"+path); w.Code != 404 {
		t.Errorf("GET /meta after delete: %d", w.Code)
	}
}

func configWithCrop(p focus.Source) config.Config {
	c := config.Default()
	c.Crop = p
	return c
}

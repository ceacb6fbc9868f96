package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"image"
	"image/color"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cf "github.com/aws/aws-sdk-go-v2/service/cloudfront"

	"github.com/imgorigin/imgorigin/handler"
	"github.com/imgorigin/imgorigin/handler/cloudfront"
	"github.com/imgorigin/imgorigin/handler/config"
	"github.com/imgorigin/imgorigin/handler/imaging"
	"github.com/imgorigin/imgorigin/handler/s3store"
	"github.com/imgorigin/imgorigin/handler/size"
	"github.com/imgorigin/imgorigin/internal/imagetest"
	"github.com/imgorigin/imgorigin/internal/s3test"
)

// cdnRecorder is a local CloudFront API endpoint that records CreateInvalidation calls; the
// real SDK client talks to it.
type cdnRecorder struct {
	mu    sync.Mutex
	calls [][]string // the paths of each invalidation
	dist  []string
	fail  int // the next fail calls are refused (403 AccessDenied, which is not retried)
}

func (c *cdnRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var batch struct {
		CallerReference string
		Paths           struct {
			Quantity int
			Items    struct {
				Path []string
			}
		}
	}
	body, _ := io.ReadAll(r.Body)
	if err := xml.Unmarshal(body, &batch); err != nil || r.Method != "POST" || !strings.HasSuffix(r.URL.Path, "/invalidation") {
		http.Error(w, "bad request", 400)
		return
	}
	c.mu.Lock()
	if c.fail > 0 {
		c.fail--
		c.mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(403)
		io.WriteString(w, `<?xml version="1.0"?><ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>denied</Message></Error><RequestId>r1</RequestId></ErrorResponse>`)
		return
	}
	c.calls = append(c.calls, batch.Paths.Items.Path)
	c.dist = append(c.dist, strings.Split(r.URL.Path, "/")[3])
	c.mu.Unlock()
	w.Header().Set("Location", "https://cloudfront.amazonaws.com"+r.URL.Path+"/I1")
	w.WriteHeader(201)
	io.WriteString(w, `<?xml version="1.0"?><Invalidation xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Id>I1</Id><Status>InProgress</Status><CreateTime>2026-11-29T00:00:00Z</CreateTime><InvalidationBatch><CallerReference>`+batch.CallerReference+`</CallerReference><Paths><Quantity>0</Quantity></Paths></InvalidationBatch></Invalidation>`)
}

func (c *cdnRecorder) invalidations() [][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls)
}

// lifecycleEnv has four allowed sizes, two of them pre-warmed, and a recorded CloudFront.
func lifecycleEnv(t *testing.T, srv *s3test.Server) (*handler.Handler, *cdnRecorder) {
	t.Helper()
	rec := &cdnRecorder{}
	cdn := httptest.NewServer(rec)
	t.Cleanup(cdn.Close)
	client := cf.New(cf.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(cdn.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("k", "s", ""),
	})
	cfg := config.Default()
	sizes, _ := size.ParseList("800x600,400x300,200x150,100x100")
	pre, _ := size.ParseList("800x600,400x300")
	opt := handler.OptionsFrom(cfg)
	opt.Originals = &s3store.Bucket{Client: srv.Client, Name: srv.Bucket}
	opt.Variants = &s3store.Bucket{Client: srv.Client, Name: srv.Bucket}
	opt.Resizer = imaging.New(imaging.Options{Quality: 80, MaxBytes: 1 << 26, MaxPixels: 1 << 26, MaxFrames: 10})
	opt.Invalidator = &cloudfront.Invalidator{Client: client, DistributionID: "E2TESTDIST"}
	opt.Sizes, opt.PrewarmSizes, opt.LRUBytes = sizes, pre, 1<<20
	opt.Logger = slog.New(slog.DiscardHandler)
	h := handler.New(opt)
	return h, rec
}

func solidJPEG(t *testing.T, c color.RGBA) []byte {
	return imagetest.EncodeJPEG(t, imagetest.Solid(900, 600, c), 95)
}

func centre(t *testing.T, body []byte) [3]int {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	r, g, bl, _ := img.At(b.Dx()/2, b.Dy()/2).RGBA()
	return [3]int{int(r >> 8), int(g >> 8), int(bl >> 8)}
}

func serve(h http.Handler, target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
	return w
}

const lcKey = "originals/shop/red shoe+1.jpg"
const lcPath = "shop/red shoe+1.jpg"

// redShoeUploaded starts the lifecycle handler with lcKey uploaded red and pre-warmed, and one
// visitor's request for a size that is allowed but not pre-warmed (100x100).
func redShoeUploaded(t *testing.T) (*s3test.Server, *handler.Handler, *cdnRecorder) {
	t.Helper()
	srv := s3test.Start(t)
	h, cdn := lifecycleEnv(t, srv)
	srv.Put(t, lcKey, solidJPEG(t, color.RGBA{200, 0, 0, 255}))
	if err := h.Prewarm(context.Background(), lcKey); err != nil {
		t.Fatal(err)
	}
	if w := serve(h, "/100x100/shop/red%20shoe+1.jpg"); w.Code != 200 {
		t.Fatalf("GET 100x100: %d", w.Code)
	}
	return srv, h, cdn
}

func TestReplaceRebuildsEveryExistingSizeAndInvalidatesThem(t *testing.T) {
	srv, h, cdn := redShoeUploaded(t)
	ctx := context.Background()
	if got := cdn.invalidations(); len(got) != 0 {
		t.Fatalf("a first upload invalidated %v", got)
	}
	for _, s := range []string{"800x600", "400x300", "100x100"} {
		if c := centre(t, srv.Get(t, "original/"+s+"/"+lcPath)); c[0] < 180 || c[2] > 40 {
			t.Fatalf("%s before: centre %v, want red", s, c)
		}
	}

	// The original is replaced by a blue one.
	srv.Put(t, lcKey, solidJPEG(t, color.RGBA{0, 0, 200, 255}))
	if err := h.Prewarm(ctx, lcKey); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"800x600", "400x300", "100x100"} {
		if c := centre(t, srv.Get(t, "original/"+s+"/"+lcPath)); c[2] < 180 || c[0] > 40 {
			t.Errorf("%s after replace: centre %v, want blue", s, c)
		}
	}
	if _, err := srv.Head("original/200x150/" + lcPath); err == nil {
		t.Error("200x150 was never asked for nor pre-warmed, yet it was made")
	}
	// The in-process cache follows too.
	if c := centre(t, serve(h, "/100x100/shop/red%20shoe+1.jpg").Body.Bytes()); c[2] < 180 {
		t.Errorf("served after replace: centre %v, want blue", c)
	}
	inv := cdn.invalidations()
	want := append(slices.Clone(redShoePaths), redShoeMetaPaths...)
	if len(inv) != 1 || !sameSet(inv[0], want) {
		t.Errorf("invalidations %v, want one call with %v", inv, want)
	}
	if cdn.dist[0] != "E2TESTDIST" {
		t.Errorf("distribution %q", cdn.dist[0])
	}

	// A retry of the same event makes nothing, and invalidates the same paths again: it
	// cannot know whether the first attempt's invalidation went through.
	before := srv.Get(t, "original/800x600/"+lcPath)
	if err := h.Prewarm(ctx, lcKey); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, srv.Get(t, "original/800x600/"+lcPath)) {
		t.Error("a retry rewrote variants")
	}
	if inv := cdn.invalidations(); len(inv) != 2 || !sameSet(inv[1], want) {
		t.Errorf("retry invalidated %v, want %v again", inv[1:], want)
	}
}

// redShoePaths are the CDN paths of the red shoe's variants after redShoeUploaded: the
// pre-warmed sizes in the original's format and WebP, the visitor's 100x100 in the original's
// format, each under its origin path, plus each size's viewer path.
var redShoePaths = []string{
	"/original/800x600/shop/red~20shoe~2B1.jpg", "/webp/800x600/shop/red~20shoe~2B1.jpg", "/800x600/shop/red%20shoe+1.jpg",
	"/original/400x300/shop/red~20shoe~2B1.jpg", "/webp/400x300/shop/red~20shoe~2B1.jpg", "/400x300/shop/red%20shoe+1.jpg",
	"/original/100x100/shop/red~20shoe~2B1.jpg", "/100x100/shop/red%20shoe+1.jpg",
}

// redShoeMetaPaths are the /meta document's: the edge's rewritten path and the viewer's.
var redShoeMetaPaths = []string{"/meta/shop/red~20shoe~2B1.jpg", "/meta/shop/red%20shoe+1.jpg"}

// The known bug of the first lifecycle: an invalidation fails, the event is retried, every
// variant is fresh by then, and nothing is invalidated: the edge kept the old picture. The
// retry now invalidates what the first attempt replaced.
func TestRetryAfterAFailedInvalidationStillInvalidates(t *testing.T) {
	srv, h, cdn := redShoeUploaded(t)
	ctx := context.Background()
	srv.Put(t, lcKey, solidJPEG(t, color.RGBA{0, 0, 200, 255}))
	cdn.mu.Lock()
	cdn.fail = 1
	cdn.mu.Unlock()
	if err := h.Prewarm(ctx, lcKey); err == nil {
		t.Fatal("Prewarm succeeded although its invalidation failed")
	}
	if c := centre(t, srv.Get(t, "original/800x600/"+lcPath)); c[2] < 180 {
		t.Fatalf("variant not replaced on the first attempt: centre %v", c)
	}
	if err := h.Prewarm(ctx, lcKey); err != nil {
		t.Fatal(err)
	}
	// The replaced variants' paths, and the /meta document's, replaced in the same event.
	want := append(slices.Clone(redShoePaths), redShoeMetaPaths...)
	if inv := cdn.invalidations(); len(inv) != 1 || !sameSet(inv[0], want) {
		t.Errorf("retry invalidated %v, want %v", inv, want)
	}
	// A variant first made from the new original (no replace) is not invalidated.
	if w := serve(h, "/200x150/shop/red%20shoe+1.jpg"); w.Code != 200 {
		t.Fatal(w.Code)
	}
	if err := h.Prewarm(ctx, lcKey); err != nil {
		t.Fatal(err)
	}
	if inv := cdn.invalidations(); len(inv) != 2 || !sameSet(inv[1], want) {
		t.Errorf("second retry invalidated %v, want %v", inv[1:], want)
	}
}

func TestDeleteRemovesEveryVariant(t *testing.T) {
	srv, h, cdn := redShoeUploaded(t)
	ctx := context.Background()
	srv.Put(t, "originals/other.jpg", solidJPEG(t, color.RGBA{0, 200, 0, 255}))
	if err := h.Prewarm(ctx, "originals/other.jpg"); err != nil {
		t.Fatal(err)
	}

	srv.Delete(t, lcKey)
	if err := h.Remove(ctx, lcKey); err != nil {
		t.Fatal(err)
	}
	for _, k := range srv.Keys(t) {
		if strings.HasSuffix(k, lcPath) {
			t.Errorf("%s survived the deletion of its original", k)
		}
	}
	if _, err := srv.Head("original/800x600/other.jpg"); err != nil {
		t.Errorf("another original's variant was removed: %v", err)
	}
	if w := serve(h, "/800x600/shop/red%20shoe+1.jpg"); w.Code != 404 {
		t.Errorf("GET after delete: %d, want 404", w.Code)
	}
	inv := cdn.invalidations()
	want := append(slices.Clone(redShoePaths), redShoeMetaPaths...)
	if len(inv) != 1 || !sameSet(inv[0], want) {
		t.Errorf("invalidations %v, want one call with %v", inv, want)
	}
}

// A removal event that arrives after a newer upload must not delete the new variants.
func TestRemoveOfAnOriginalThatIsBackPrewarms(t *testing.T) {
	srv := s3test.Start(t)
	h, _ := lifecycleEnv(t, srv)
	srv.Put(t, lcKey, solidJPEG(t, color.RGBA{200, 0, 0, 255}))
	if err := h.Remove(context.Background(), lcKey); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Head("original/800x600/" + lcPath); err != nil {
		t.Errorf("variant missing after a stale removal event: %v", err)
	}
}

// S3 conditional writes, as versitygw implements them: If-None-Match: * refuses an existing
// key, If-Match refuses a changed one, and the store reports both as ErrPrecondition.
func TestConditionalWrites(t *testing.T) {
	srv := s3test.Start(t)
	b := &s3store.Bucket{Client: srv.Client, Name: srv.Bucket}
	ctx := context.Background()
	obj := &handler.Object{Body: []byte("one"), ContentType: "text/plain"}
	if err := b.Put(ctx, "k", obj, handler.Cond{IfNoneMatch: true}); err != nil {
		t.Fatal(err)
	}
	err := b.Put(ctx, "k", &handler.Object{Body: []byte("two")}, handler.Cond{IfNoneMatch: true})
	if !errors.Is(err, handler.ErrPrecondition) {
		t.Fatalf("second If-None-Match put: %v, want ErrPrecondition", err)
	}
	cur, err := b.Head(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, "k", &handler.Object{Body: []byte("three")}, handler.Cond{IfMatch: `"0123456789abcdef0123456789abcdef"`}); !errors.Is(err, handler.ErrPrecondition) {
		t.Fatalf("If-Match on a wrong ETag: %v, want ErrPrecondition", err)
	}
	if err := b.Put(ctx, "k", &handler.Object{Body: []byte("four")}, handler.Cond{IfMatch: cur.ETag}); err != nil {
		t.Fatalf("If-Match on the current ETag: %v", err)
	}
	if got := string(srv.Get(t, "k")); got != "four" {
		t.Fatalf("body %q", got)
	}
}

// Two processes (no shared coalescing) miss the same variant at once: both answer 200, one
// variant is stored, and it decodes whole.
func TestRacingWritersOneVariantNoError(t *testing.T) {
	srv := s3test.Start(t)
	srv.Put(t, "originals/race.jpg", bandsJPEG(t, 2400, 800))
	a, _ := lifecycleEnv(t, srv)
	b, _ := lifecycleEnv(t, srv)
	var wg sync.WaitGroup
	codes := make([]int, 8)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := a
			if i%2 == 1 {
				h = b
			}
			codes[i] = serve(h, "/800x600/race.jpg").Code
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Errorf("writer %d: %d", i, c)
		}
	}
	checkImage(t, srv.Get(t, "original/800x600/race.jpg"), "jpeg", 800, 600)
	n := 0
	for _, k := range srv.Keys(t) {
		if strings.HasPrefix(k, "original/800x600/") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d variants stored", n)
	}
}

// One JSON log line per request with the CloudWatch Embedded Metric Format block.
func TestRequestLogLineCarriesEMF(t *testing.T) {
	srv := s3test.Start(t)
	srv.Put(t, "originals/a.jpg", bandsJPEG(t, 1200, 400))
	var buf bytes.Buffer
	var mu sync.Mutex
	cfg := config.Default()
	opt := handler.OptionsFrom(cfg)
	opt.Originals = &s3store.Bucket{Client: srv.Client, Name: srv.Bucket}
	opt.Variants = &s3store.Bucket{Client: srv.Client, Name: srv.Bucket}
	opt.Resizer = imaging.New(imaging.Options{Quality: 80, MaxBytes: 1 << 26, MaxPixels: 1 << 26, MaxFrames: 10})
	opt.LRUBytes = 1 << 20
	opt.Logger = slog.New(slog.NewJSONHandler(lockedWriter{&mu, &buf}, nil))
	opt.Metrics = "imgorigin-origin"
	h := handler.New(opt)
	miss := serve(h, "/800x600/a.jpg")
	hit := serve(h, "/800x600/a.jpg")
	bad := serve(h, "/801x600/a.jpg")
	if miss.Code != 200 || hit.Code != 200 || bad.Code != 400 {
		t.Fatalf("codes %d %d %d", miss.Code, hit.Code, bad.Code)
	}
	for _, part := range []string{"made;dur=", "fetch;dur=", "transform;dur=", "store;dur="} {
		if st := miss.Header().Get("Server-Timing"); !strings.Contains(st, part) {
			t.Errorf("miss Server-Timing %q lacks %q", st, part)
		}
	}
	if st := hit.Header().Get("Server-Timing"); !strings.HasPrefix(st, "lru;dur=") {
		t.Errorf("hit Server-Timing %q", st)
	}

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d log lines for 3 requests:\n%s", len(lines), buf.String())
	}
	type line struct {
		Msg     string `json:"msg"`
		Key     string `json:"key"`
		Cache   string `json:"cache"`
		Status  int    `json:"status"`
		BytesIn int    `json:"bytes_in"`
		Out     int    `json:"bytes_out"`
		Aws     struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		Function  string
		Requests  float64
		Hits      float64
		Misses    float64
		Errors4xx float64
		Errors5xx float64
		LatencyMs *float64
	}
	var got []line
	for _, l := range lines {
		var v line
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("log line is not JSON: %v\n%s", err, l)
		}
		got = append(got, v)
	}
	m := got[0]
	if m.Msg != "request" || m.Key != "original/800x600/a.jpg" || m.Cache != "made" || m.Status != 200 || m.BytesIn == 0 || m.Out == 0 {
		t.Errorf("miss line %+v", m)
	}
	if len(m.Aws.CloudWatchMetrics) != 1 || m.Aws.Timestamp == 0 {
		t.Fatalf("no EMF block: %+v", m.Aws)
	}
	def := m.Aws.CloudWatchMetrics[0]
	var names []string
	for _, d := range def.Metrics {
		names = append(names, d.Name)
	}
	for _, want := range []string{"Requests", "Hits", "Misses", "Errors4xx", "Errors5xx", "LatencyMs", "BytesOut"} {
		if !slices.Contains(names, want) {
			t.Errorf("EMF lacks %s: %v", want, names)
		}
	}
	if def.Namespace != "ImageOrigin" || len(def.Dimensions) != 1 || def.Dimensions[0][0] != "Function" || m.Function != "imgorigin-origin" {
		t.Errorf("EMF namespace/dimension: %+v, Function=%q", def, m.Function)
	}
	if m.Requests != 1 || m.Misses != 1 || m.Hits != 0 || m.LatencyMs == nil {
		t.Errorf("miss metrics %+v", m)
	}
	if h := got[1]; h.Cache != "lru" || h.Hits != 1 || h.Misses != 0 {
		t.Errorf("hit line %+v", h)
	}
	if b := got[2]; b.Status != 400 || b.Errors4xx != 1 || b.Errors5xx != 0 {
		t.Errorf("bad line %+v", b)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// The same bug on deletion: the first attempt deletes every variant and its invalidation fails;
// the retry finds nothing to delete, and must still invalidate (every path the key can have).
func TestRetryAfterAFailedDeleteInvalidationStillInvalidates(t *testing.T) {
	srv, h, cdn := redShoeUploaded(t)
	ctx := context.Background()
	srv.Delete(t, lcKey)
	cdn.mu.Lock()
	cdn.fail = 1
	cdn.mu.Unlock()
	if err := h.Remove(ctx, lcKey); err == nil {
		t.Fatal("Remove succeeded although its invalidation failed")
	}
	for _, k := range srv.Keys(t) {
		if strings.HasSuffix(k, lcPath) {
			t.Fatalf("%s survived the first attempt", k)
		}
	}
	if err := h.Remove(ctx, lcKey); err != nil {
		t.Fatal(err)
	}
	inv := cdn.invalidations()
	if len(inv) != 1 {
		t.Fatalf("retry made %d invalidations, want 1", len(inv))
	}
	for _, p := range redShoePaths {
		if !slices.Contains(inv[0], p) {
			t.Errorf("retry did not invalidate %s (got %v)", p, inv[0])
		}
	}
	// Every format at every allowed size (4 here), plus each size's viewer path, plus the /meta
	// document's two: exact, no wildcard.
	if len(inv[0]) != 4*3+4+2 {
		t.Errorf("retry invalidated %d paths, want 18: %v", len(inv[0]), inv[0])
	}
	for _, p := range redShoeMetaPaths {
		if !slices.Contains(inv[0], p) {
			t.Errorf("retry did not invalidate %s (got %v)", p, inv[0])
		}
	}
	for _, p := range inv[0] {
		if strings.Contains(p, "*") {
			t.Errorf("wildcard path %q", p)
		}
	}
}

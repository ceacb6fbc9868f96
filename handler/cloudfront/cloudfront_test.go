package cloudfront_test

// The SDK's real CloudFront client talks to a fake CloudFront endpoint over HTTP. The fake
// speaks CloudFront's REST-XML wire format (API version 2020-05-31): it reads the
// InvalidationBatch document of a CreateInvalidation request and answers with the status codes
// and XML bodies CloudFront sends: 201 with an <Invalidation>, or 400 with an <ErrorResponse>
// whose <Code> is TooManyInvalidationsInProgress, Throttling or AccessDenied.

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cf "github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/imgorigin/imgorigin/handler"
	"github.com/imgorigin/imgorigin/handler/cloudfront"
	"github.com/imgorigin/imgorigin/handler/fsstore"
	"github.com/imgorigin/imgorigin/handler/imaging"
	"github.com/imgorigin/imgorigin/handler/size"
	"github.com/imgorigin/imgorigin/handler/variantpath"
	"github.com/imgorigin/imgorigin/internal/imagetest"
)

const distID = "E2EXAMPLE123"

// request is what the fake saw of one CreateInvalidation.
type request struct {
	auth      string
	reference string
	paths     []string
	quantity  int
}

// fakeCloudFront answers CreateInvalidation with the codes in script, one per request ("" is
// success); after the script it repeats the last entry.
type fakeCloudFront struct {
	t      *testing.T
	mu     sync.Mutex
	script []string
	seen   []request
}

func (f *fakeCloudFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	want := "/2020-05-31/distribution/" + distID + "/invalidation"
	if r.Method != http.MethodPost || r.URL.Path != want {
		f.t.Errorf("fake CloudFront: %s %s, want POST %s", r.Method, r.URL.Path, want)
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var batch struct {
		XMLName         xml.Name `xml:"InvalidationBatch"`
		CallerReference string   `xml:"CallerReference"`
		Quantity        int      `xml:"Paths>Quantity"`
		Paths           []string `xml:"Paths>Items>Path"`
	}
	if err := xml.Unmarshal(body, &batch); err != nil {
		f.t.Errorf("fake CloudFront: request body is not an InvalidationBatch: %v\n%s", err, body)
	}
	f.mu.Lock()
	f.seen = append(f.seen, request{auth: r.Header.Get("Authorization"), reference: batch.CallerReference, paths: batch.Paths, quantity: batch.Quantity})
	n := len(f.seen)
	code := f.script[min(n, len(f.script))-1]
	f.mu.Unlock()

	w.Header().Set("x-amz-request-id", fmt.Sprintf("req-%d", n))
	w.Header().Set("Content-Type", "text/xml")
	if code != "" {
		status := http.StatusBadRequest
		if code == "AccessDenied" {
			status = http.StatusForbidden
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, `<?xml version="1.0"?>
<ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s from the fake</Message></Error><RequestId>req-%d</RequestId></ErrorResponse>`, code, code, n)
		return
	}
	w.Header().Set("Location", "https://cloudfront.amazonaws.com/2020-05-31/distribution/"+distID+"/invalidation/I2J0I21PCUYOIK")
	w.WriteHeader(http.StatusCreated)
	var items strings.Builder
	for _, p := range batch.Paths {
		items.WriteString("<Path>")
		xml.EscapeText(&items, []byte(p))
		items.WriteString("</Path>")
	}
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<Invalidation xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Id>I2J0I21PCUYOIK</Id><Status>InProgress</Status><CreateTime>2026-12-02T01:00:00.000Z</CreateTime><InvalidationBatch><Paths><Quantity>%d</Quantity><Items>%s</Items></Paths><CallerReference>%s</CallerReference></InvalidationBatch></Invalidation>`,
		len(batch.Paths), items.String(), batch.CallerReference)
}

func (f *fakeCloudFront) requests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.seen...)
}

// invalidator is the real SDK client pointed at a fake answering script, with short waits.
func invalidator(t *testing.T, script ...string) (*cloudfront.Invalidator, *fakeCloudFront) {
	t.Helper()
	fake := &fakeCloudFront{t: t, script: script}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	client := cf.New(cf.Options{
		BaseEndpoint: aws.String(srv.URL),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		HTTPClient:   srv.Client(),
	})
	return &cloudfront.Invalidator{
		Client:         client,
		DistributionID: distID,
		FirstDelay:     10 * time.Millisecond,
		MaxDelay:       40 * time.Millisecond,
		Reserve:        time.Second,
	}, fake
}

// checkRequests: every attempt was signed, carried the same caller reference and the paths.
func checkRequests(t *testing.T, got []request, wantN int, paths []string) {
	t.Helper()
	if len(got) != wantN {
		t.Fatalf("CloudFront saw %d requests, want %d", len(got), wantN)
	}
	for i, r := range got {
		if !strings.HasPrefix(r.auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") || !strings.Contains(r.auth, "/us-east-1/cloudfront/aws4_request") {
			t.Errorf("request %d: Authorization %q is not a SigV4 signature for cloudfront", i, r.auth)
		}
		if r.reference == "" || r.reference != got[0].reference {
			t.Errorf("request %d: CallerReference %q, want the first attempt's %q", i, r.reference, got[0].reference)
		}
		if r.quantity != len(paths) || strings.Join(r.paths, " ") != strings.Join(paths, " ") {
			t.Errorf("request %d: paths %v (quantity %d), want %v", i, r.paths, r.quantity, paths)
		}
	}
}

func TestInvalidateRetriesTooManyInvalidationsThenSucceeds(t *testing.T) {
	inv, fake := invalidator(t, "TooManyInvalidationsInProgress", "TooManyInvalidationsInProgress", "")
	paths := []string{"/800x600/a%20b.jpg", "/400x300/a%20b.jpg"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := inv.Invalidate(ctx, paths); err != nil {
		t.Fatalf("Invalidate: %v", err)
	}
	checkRequests(t, fake.requests(), 3, paths)
}

func TestInvalidateRetriesThrottlingThenSucceeds(t *testing.T) {
	inv, fake := invalidator(t, "Throttling", "")
	paths := []string{"/200x150/x.png"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := inv.Invalidate(ctx, paths); err != nil {
		t.Fatalf("Invalidate: %v", err)
	}
	checkRequests(t, fake.requests(), 2, paths)
}

// With no deadline (a local run) the attempts are bounded.
func TestInvalidateWithoutDeadlineStopsAfterMaxAttempts(t *testing.T) {
	inv, fake := invalidator(t, "TooManyInvalidationsInProgress")
	inv.MaxAttempts = 3
	err := inv.Invalidate(context.Background(), []string{"/800x600/a.jpg"})
	var tooMany *types.TooManyInvalidationsInProgress
	if !errors.Is(err, cloudfront.ErrOutOfTime) || !errors.As(err, &tooMany) {
		t.Fatalf("Invalidate = %v, want ErrOutOfTime wrapping TooManyInvalidationsInProgress", err)
	}
	checkRequests(t, fake.requests(), 3, []string{"/800x600/a.jpg"})
}

func TestInvalidateDoesNotRetryAccessDenied(t *testing.T) {
	inv, fake := invalidator(t, "AccessDenied", "")
	err := inv.Invalidate(context.Background(), []string{"/800x600/a.jpg"})
	var denied *types.AccessDenied
	if !errors.As(err, &denied) || errors.Is(err, cloudfront.ErrOutOfTime) {
		t.Fatalf("Invalidate = %v, want AccessDenied at once", err)
	}
	checkRequests(t, fake.requests(), 1, []string{"/800x600/a.jpg"})
}

// When the invocation's time runs out, Invalidate gives up before the deadline (keeping
// Reserve free), so the record fails with CloudFront's error instead of the function being
// killed at its timeout.
func TestInvalidateGivesUpBeforeTheDeadline(t *testing.T) {
	inv, fake := invalidator(t, "TooManyInvalidationsInProgress")
	inv.FirstDelay, inv.MaxDelay, inv.Reserve = 50*time.Millisecond, 200*time.Millisecond, 3*time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := inv.Invalidate(ctx, []string{"/800x600/a.jpg"})
	if ctx.Err() != nil {
		t.Errorf("Invalidate returned only after the deadline (%v)", err)
	}
	var tooMany *types.TooManyInvalidationsInProgress
	if !errors.Is(err, cloudfront.ErrOutOfTime) || !errors.As(err, &tooMany) {
		t.Fatalf("Invalidate = %v, want ErrOutOfTime wrapping TooManyInvalidationsInProgress", err)
	}
	got := fake.requests()
	checkRequests(t, got, len(got), []string{"/800x600/a.jpg"})
	if len(got) == 0 || !strings.Contains(err.Error(), fmt.Sprintf("after %d attempts", len(got))) {
		t.Errorf("error %q does not count the %d attempts", err, len(got))
	}
}

// A whole record: an original is replaced, its variants are rebuilt with libvips, and the
// invalidation of their paths meets TooManyInvalidationsInProgress until the time runs out.
// The record fails (Lambda retries it, then the failure queue holds it) with CloudFront's
// error, and the rebuilt variants are stored.
func TestPrewarmRecordFailsCleanlyWhenInvalidationRunsOutOfTime(t *testing.T) {
	inv, fake := invalidator(t, "TooManyInvalidationsInProgress")
	inv.FirstDelay, inv.MaxDelay, inv.Reserve = 50*time.Millisecond, 200*time.Millisecond, 3*time.Second
	dir := t.TempDir()
	originals, err := fsstore.Open(filepath.Join(dir, "originals-root"))
	if err != nil {
		t.Fatal(err)
	}
	variants, err := fsstore.Open(filepath.Join(dir, "variants"))
	if err != nil {
		t.Fatal(err)
	}
	sizes := []size.Size{{W: 400, H: 300}, {W: 200, H: 150}}
	var logs bytes.Buffer
	h := handler.New(handler.Options{
		Originals: originals, Variants: variants,
		Resizer:         imaging.New(imaging.Options{Quality: 80, MaxBytes: 10 << 20, MaxPixels: 10_000_000, MaxFrames: 10}),
		Invalidator:     inv,
		OriginalsPrefix: "originals/",
		Sizes:           sizes,
		PrewarmSizes:    sizes,
		Logger:          slog.New(slog.NewJSONHandler(&logs, nil)),
	})
	put := func(c color.RGBA) {
		t.Helper()
		jpg := imagetest.EncodeJPEG(t, imagetest.Solid(800, 600, c), 90)
		if err := os.MkdirAll(filepath.Join(dir, "originals-root", "originals", "a b"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "originals-root", "originals", "a b", "photo.jpg"), jpg, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const key = "originals/a b/photo.jpg"

	put(color.RGBA{R: 200, A: 255})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := h.Prewarm(ctx, key); err != nil { // first upload: nothing replaced, nothing to invalidate
		t.Fatalf("first Prewarm: %v", err)
	}
	if n := len(fake.requests()); n != 0 {
		t.Fatalf("a first upload made %d invalidation requests, want 0", n)
	}

	put(color.RGBA{B: 200, A: 255})
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = h.Prewarm(ctx, key)
	if ctx.Err() != nil {
		t.Errorf("Prewarm returned only after the deadline (%v)", err)
	}
	var tooMany *types.TooManyInvalidationsInProgress
	if !errors.Is(err, cloudfront.ErrOutOfTime) || !errors.As(err, &tooMany) {
		t.Fatalf("Prewarm = %v, want the record to fail with ErrOutOfTime wrapping TooManyInvalidationsInProgress", err)
	}
	got := fake.requests()
	// Each replaced variant by its origin path, each size by its viewer path (handler.InvalidationPaths),
	// and the /meta document.
	checkRequests(t, got, len(got), []string{"/original/400x300/a~20b/photo.jpg", "/400x300/a%20b/photo.jpg", "/original/200x150/a~20b/photo.jpg", "/200x150/a%20b/photo.jpg", "/meta/a~20b/photo.jpg", "/meta/a%20b/photo.jpg"})
	if !strings.Contains(logs.String(), `"msg":"event failed"`) || !strings.Contains(logs.String(), "TooManyInvalidationsInProgress") {
		t.Errorf("no \"event failed\" log line naming TooManyInvalidationsInProgress:\n%s", logs.String())
	}
	// The rebuilt variants are stored, made from the new (blue) original.
	for _, s := range sizes {
		obj, err := variants.Get(context.Background(), variantpath.Variant{Size: s, Path: "a b/photo.jpg"}.Key())
		if err != nil {
			t.Fatalf("variant %v: %v", s, err)
		}
		img, err := jpeg.Decode(bytes.NewReader(obj.Body))
		if err != nil {
			t.Fatalf("variant %v is not a JPEG: %v", s, err)
		}
		if b := img.Bounds(); b.Dx() != s.W || b.Dy() != s.H {
			t.Errorf("variant %v is %dx%d", s, b.Dx(), b.Dy())
		}
		r, _, bl, _ := img.At(s.W/2, s.H/2).RGBA()
		if bl>>8 < 150 || r>>8 > 60 {
			t.Errorf("variant %v centre is r=%d b=%d, want the new blue original", s, r>>8, bl>>8)
		}
	}
}

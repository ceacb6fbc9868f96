package handler_test

// Storage faults injected between the service's S3 client and a real S3 server (versitygw):
// error statuses, slow responses, connections cut mid-body or dropped, the server gone. The
// service retries a bounded number of times, answers 502/503/504 with no-store, never stores or
// serves a partial variant, and recovers when the fault goes away.

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imgorigin/imgorigin/handler"
	"github.com/imgorigin/imgorigin/handler/config"
	"github.com/imgorigin/imgorigin/handler/meta"
	"github.com/imgorigin/imgorigin/handler/s3store"
	"github.com/imgorigin/imgorigin/handler/size"
	"github.com/imgorigin/imgorigin/handler/variantpath"
	"github.com/imgorigin/imgorigin/internal/app"
	"github.com/imgorigin/imgorigin/internal/faultproxy"
	"github.com/imgorigin/imgorigin/internal/imagetest"
	"github.com/imgorigin/imgorigin/internal/s3test"
)

// faultClient: s3store.NewClient's retries (3 attempts), with time-outs short enough that a
// slow server is beyond them in well under a second.
var faultClient = s3store.ClientOptions{
	MaxBackoff:            50 * time.Millisecond,
	DialTimeout:           500 * time.Millisecond,
	ResponseHeaderTimeout: 400 * time.Millisecond,
	Timeout:               2 * time.Second,
}

type faultEnv struct {
	srv   *s3test.Server
	proxy *faultproxy.Proxy
	h     *handler.Handler
}

// newFaultEnv is the real handler (libvips, config's defaults, no LRU) whose S3 client talks to
// versitygw through the fault proxy.
func newFaultEnv(t *testing.T, o s3store.ClientOptions) *faultEnv {
	t.Helper()
	srv := s3test.Start(t)
	p := faultproxy.Start(t, srv.Endpoint)
	client := faultproxy.NewClient(p.URL, o)
	cfg := config.Default()
	opt := handler.OptionsFrom(cfg)
	opt.Originals = &s3store.Bucket{Client: client, Name: srv.Bucket, MaxBytes: cfg.MaxSourceBytes}
	opt.Variants = &s3store.Bucket{Client: client, Name: srv.Bucket}
	opt.Resizer = app.Resizer(cfg)
	opt.LRUBytes, opt.WorkTimeout, opt.Logger = 0, 10*time.Second, slog.New(slog.DiscardHandler)
	opt.PrewarmFormats = []variantpath.Format{variantpath.Original} // faults, not formats, are tested here
	h := handler.New(opt)
	return &faultEnv{srv: srv, proxy: p, h: h}
}

// faultPhoto is a noisy JPEG (about 150 KB at 600x400), so that a cut body is really partial.
func faultPhoto(t testing.TB, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	img := image.NewRGBA(image.Rect(0, 0, 600, 400))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.Uint32())
	}
	for y := 150; y < 250; y++ {
		for x := 250; x < 350; x++ {
			img.SetRGBA(x, y, color.RGBA{0, 255, 0, 255})
		}
	}
	return imagetest.EncodeJPEG(t, img, 90)
}

// do serves one GET and says how long it took.
func (e *faultEnv) do(ctx context.Context, target string) (*httptest.ResponseRecorder, time.Duration) {
	r := httptest.NewRequest("GET", "http://origin.test"+target, nil).WithContext(ctx)
	w := httptest.NewRecorder()
	start := time.Now()
	e.h.ServeHTTP(w, r)
	return w, time.Since(start)
}

// attempts serves one GET and counts the requests the proxy saw for it.
func (e *faultEnv) attempts(target string) (*httptest.ResponseRecorder, int64, time.Duration) {
	n := e.proxy.Requests()
	w, took := e.do(context.Background(), target)
	return w, e.proxy.Requests() - n, took
}

// check5xx asserts one of the storage statuses, no-store, and a short body that leaks nothing.
func check5xx(t *testing.T, what string, w *httptest.ResponseRecorder, codes ...int) {
	t.Helper()
	ok := false
	for _, c := range codes {
		ok = ok || w.Code == c
	}
	body := w.Body.String()
	if !ok {
		t.Errorf("%s: %d %q, want one of %v", what, w.Code, body, codes)
		return
	}
	if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("%s: Cache-Control %q on a %d", what, cc, w.Code)
	}
	for _, l := range []string{"faultproxy", "injected", "127.0.0.1", "operation error", "api error", "images", "originals/"} {
		if strings.Contains(body, l) || len(body) > 100 {
			t.Errorf("%s: body %q", what, body)
			break
		}
	}
}

// checkOK asserts a 200 with a JPEG of exactly the size in target.
func checkOK(t *testing.T, what, target string, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code != 200 {
		t.Fatalf("%s: %d %q, want 200", what, w.Code, w.Body)
	}
	v, err := variantpath.Parse(strings.SplitN(target, "?", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	faultDecodes(t, what, w.Body.Bytes(), v.Size)
}

func faultDecodes(t *testing.T, what string, body []byte, s size.Size) {
	t.Helper()
	img, f, err := image.Decode(bytes.NewReader(body))
	if err != nil {
		t.Errorf("%s: %d bytes do not decode: %v", what, len(body), err)
		return
	}
	if f != "jpeg" || img.Bounds().Dx() != s.W || img.Bounds().Dy() != s.H {
		t.Errorf("%s: %s %v, want jpeg %v", what, f, img.Bounds().Size(), s)
	}
}

// checkStored reads every variant straight from versitygw (not through the proxy): each one
// decodes to its key's exact size. It returns the variant keys.
func checkStored(t *testing.T, srv *s3test.Server) []string {
	t.Helper()
	var variants []string
	for _, k := range srv.Keys(t) {
		if strings.HasPrefix(k, config.DefaultOriginalsPrefix) {
			continue
		}
		if strings.HasPrefix(k, meta.KeyPrefix+"/") { // the original's /meta document: whole JSON
			if _, err := meta.Parse(srv.Get(t, k)); err != nil {
				t.Errorf("stored %s: %v", k, err)
			}
			continue
		}
		v, err := variantpath.ParseKey(k)
		if err != nil {
			t.Errorf("stray object %q", k)
			continue
		}
		faultDecodes(t, "stored "+k, srv.Get(t, k), v.Size)
		variants = append(variants, k)
	}
	return variants
}

// Error statuses: each S3 operation is tried at most three times (the SDK's bounded retries),
// then the request is a 503 (5xx, throttling) or a 502 (anything else); nothing is stored; the
// first request after the fault is gone succeeds.
func TestFaultErrorStatuses(t *testing.T) {
	e := newFaultEnv(t, faultClient)
	e.srv.Put(t, "originals/a.jpg", faultPhoto(t, 1))
	cases := []struct {
		name     string
		fault    faultproxy.Fault
		code     int
		attempts int64
	}{
		{"500 on everything", faultproxy.Fault{Status: 500}, 503, 3},
		{"503 SlowDown on everything", faultproxy.Fault{Status: 503}, 503, 3},
		{"500 on the original", faultproxy.Fault{Method: "GET", PathPrefix: "/images/originals/", Status: 500}, 503, 1 + 3},
		{"500 on the variant write", faultproxy.Fault{Method: "PUT", Status: 500}, 503, 1 + 1 + 3},
		{"403 on everything", faultproxy.Fault{Status: 403}, 502, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.proxy.Set(c.fault)
			w, n, took := e.attempts("/800x600/a.jpg")
			check5xx(t, c.name, w, c.code)
			if n != c.attempts {
				t.Errorf("%d requests reached storage, want %d (3 attempts per failing operation)", n, c.attempts)
			}
			if took > 3*time.Second {
				t.Errorf("took %v", took)
			}
			if got := checkStored(t, e.srv); len(got) != 0 {
				t.Errorf("stored %v during the fault", got)
			}
			// Pre-warm hits the same fault: an error, so that Lambda retries the event.
			if err := e.h.Prewarm(context.Background(), "originals/a.jpg"); err == nil {
				t.Error("Prewarm during the fault returned nil")
			}
			if got := checkStored(t, e.srv); len(got) != 0 {
				t.Errorf("Prewarm stored %v during the fault", got)
			}
			e.proxy.Clear()
			w, _, _ = e.attempts("/800x600/a.jpg")
			checkOK(t, "after the fault", "/800x600/a.jpg", w)
			e.srv.Delete(t, "original/800x600/a.jpg")
		})
	}
}

// A server slower than the client's time-outs: three attempts, then a 504, in bounded time.
func TestFaultSlowStorage(t *testing.T) {
	e := newFaultEnv(t, faultClient)
	e.srv.Put(t, "originals/a.jpg", faultPhoto(t, 2))
	for _, c := range []struct {
		name  string
		fault faultproxy.Fault
	}{
		{"slow everything", faultproxy.Fault{Delay: 5 * time.Second}},
		{"slow original", faultproxy.Fault{Method: "GET", PathPrefix: "/images/originals/", Delay: 5 * time.Second}},
		{"slow variant write", faultproxy.Fault{Method: "PUT", Delay: 5 * time.Second}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.proxy.Set(c.fault)
			injected := e.proxy.Injected()
			w, _, took := e.attempts("/800x600/a.jpg")
			check5xx(t, c.name, w, 504)
			if n := e.proxy.Injected() - injected; n < 1 || n > 3 {
				t.Errorf("%d slow attempts, want 1..3", n)
			}
			if took > 3*time.Second {
				t.Errorf("took %v", took)
			}
			e.proxy.Clear()
			time.Sleep(100 * time.Millisecond)
			checkStored(t, e.srv) // whatever a late write left must be whole
			e.srv.Delete(t, "original/800x600/a.jpg")
			w, _, _ = e.attempts("/800x600/a.jpg")
			checkOK(t, "after the fault", "/800x600/a.jpg", w)
			e.srv.Delete(t, "original/800x600/a.jpg")
		})
	}
}

// Connections cut in the middle of a body, or dropped before any answer: a partial original is
// never resized and a partial variant never served.
func TestFaultCutAndDroppedConnections(t *testing.T) {
	e := newFaultEnv(t, faultClient)
	photo := faultPhoto(t, 3)
	e.srv.Put(t, "originals/a.jpg", photo)

	// A cut original: 503, nothing stored.
	e.proxy.Set(faultproxy.Fault{Method: "GET", PathPrefix: "/images/originals/", CutAfter: len(photo) / 2})
	w, _, _ := e.attempts("/800x600/a.jpg")
	check5xx(t, "cut original", w, 503)
	if got := checkStored(t, e.srv); len(got) != 0 {
		t.Errorf("stored %v from a cut original", got)
	}

	// Connections dropped before any answer: three attempts, 503.
	e.proxy.Set(faultproxy.Fault{Drop: true})
	w, n, _ := e.attempts("/800x600/a.jpg")
	check5xx(t, "dropped", w, 503)
	if n != 3 {
		t.Errorf("dropped: %d attempts, want 3", n)
	}

	// The variant is made; then reading it back is cut: never a 200 with part of it.
	e.proxy.Clear()
	w, _, _ = e.attempts("/800x600/a.jpg")
	checkOK(t, "made", "/800x600/a.jpg", w)
	whole := w.Body.Bytes()
	for _, cut := range []int{0, 1, 100, len(whole) / 2, len(whole) - 1} {
		e.proxy.Set(faultproxy.Fault{Method: "GET", PathPrefix: "/images/original/800x600/", CutAfter: max(cut, 1)})
		w, _, _ = e.attempts("/800x600/a.jpg")
		check5xx(t, fmt.Sprintf("variant cut after %d of %d bytes", cut, len(whole)), w, 503)
	}
	e.proxy.Clear()
	w, _, _ = e.attempts("/800x600/a.jpg")
	checkOK(t, "after the cuts", "/800x600/a.jpg", w)
	if !bytes.Equal(w.Body.Bytes(), whole) {
		t.Error("the variant changed")
	}
	checkStored(t, e.srv)
}

// The server gone (its port refuses connections), then back: 503s and errors for pre-warm
// while it is gone, everything again once it is back.
func TestFaultServerStoppedAndBack(t *testing.T) {
	e := newFaultEnv(t, faultClient)
	e.srv.Put(t, "originals/a.jpg", faultPhoto(t, 4))
	e.srv.Put(t, "originals/b.jpg", faultPhoto(t, 5))
	w, _, _ := e.attempts("/800x600/a.jpg")
	checkOK(t, "before", "/800x600/a.jpg", w)

	e.proxy.Stop()
	for _, target := range []string{"/800x600/a.jpg", "/400x300/a.jpg", "/800x600/b.jpg"} {
		w, took := e.do(context.Background(), target)
		check5xx(t, "stopped "+target, w, 503)
		if took > 3*time.Second {
			t.Errorf("%s took %v", target, took)
		}
	}
	if err := e.h.Prewarm(context.Background(), "originals/b.jpg"); err == nil {
		t.Error("Prewarm with the server gone returned nil")
	}

	e.proxy.Restart(t)
	for _, target := range []string{"/800x600/a.jpg", "/400x300/a.jpg", "/800x600/b.jpg"} {
		w, _ := e.do(context.Background(), target)
		checkOK(t, "back "+target, target, w)
	}
	if err := e.h.Prewarm(context.Background(), "originals/b.jpg"); err != nil {
		t.Errorf("Prewarm once the server is back: %v", err)
	}
	if got := checkStored(t, e.srv); len(got) != 5 {
		t.Errorf("stored %v, want 800x600/a, 400x300/a and b's three sizes", got)
	}
}

// The invocation's deadline passes while the service waits on storage: a 504 as soon as the
// deadline passes, not when storage answers; work shared with other callers still finishes,
// and what it stores is whole.
func TestFaultDeadlineMidWork(t *testing.T) {
	e := newFaultEnv(t, s3store.ClientOptions{MaxBackoff: 50 * time.Millisecond}) // s3store's time-outs: the deadline comes first
	e.srv.Put(t, "originals/a.jpg", faultPhoto(t, 6))
	for _, c := range []struct {
		name   string
		fault  faultproxy.Fault
		shared bool // the deadline passes during the shared miss, which goes on
	}{
		{"slow original", faultproxy.Fault{Method: "GET", PathPrefix: "/images/originals/", Delay: 2 * time.Second}, true},
		{"slow everything", faultproxy.Fault{Delay: 2 * time.Second}, false},
		{"slow variant write", faultproxy.Fault{Method: "PUT", Delay: 2 * time.Second}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.proxy.Set(c.fault)
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			w, took := e.do(ctx, "/800x600/a.jpg")
			cancel()
			check5xx(t, c.name, w, 504)
			if took > 800*time.Millisecond {
				t.Errorf("504 after %v, want it soon after the 300ms deadline", took)
			}
			e.proxy.Clear()
			// The shared miss goes on (bounded by WorkTimeout) and stores a whole variant.
			deadline := time.Now().Add(8 * time.Second)
			for c.shared && time.Now().Before(deadline) {
				if _, err := e.srv.Head("original/800x600/a.jpg"); err == nil {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			time.Sleep(200 * time.Millisecond)
			if got := checkStored(t, e.srv); c.shared && len(got) != 1 {
				t.Errorf("the shared miss stored %v, want 800x600/a.jpg", got)
			}
			w, _ = e.do(context.Background(), "/800x600/a.jpg")
			checkOK(t, "after", "/800x600/a.jpg", w)
			e.srv.Delete(t, "original/800x600/a.jpg")
		})
	}
}

// Every fault at once, at random, under concurrent requests and pre-warms: only 200s and
// 502/503/504; every 200 and every stored variant is whole; all is well once the faults stop.
func TestFaultChaos(t *testing.T) {
	e := newFaultEnv(t, faultClient)
	const originals = 6
	for i := range originals {
		e.srv.Put(t, fmt.Sprintf("originals/p%d.jpg", i), faultPhoto(t, uint64(10+i)))
	}
	e.proxy.Set(
		faultproxy.Fault{Prob: 0.10, Status: 500},
		faultproxy.Fault{Prob: 0.05, Status: 503},
		faultproxy.Fault{Prob: 0.10, Method: "GET", CutAfter: 700},
		faultproxy.Fault{Prob: 0.05, Drop: true},
		faultproxy.Fault{Prob: 0.05, Delay: time.Second},
	)
	sizes := config.Default().Sizes
	var mu sync.Mutex
	codes := map[int]int{}
	prewarmErrs := 0
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for range 25 {
				p := fmt.Sprintf("p%d.jpg", rng.IntN(originals))
				if rng.IntN(8) == 0 {
					err := e.h.Prewarm(context.Background(), "originals/"+p)
					mu.Lock()
					if err != nil {
						prewarmErrs++
					}
					mu.Unlock()
					continue
				}
				target := "/" + sizes[rng.IntN(len(sizes))].String() + "/" + p
				w, _ := e.do(context.Background(), target)
				mu.Lock()
				codes[w.Code]++
				mu.Unlock()
				switch w.Code {
				case 200:
					checkOK(t, "chaos "+target, target, w)
				default:
					check5xx(t, "chaos "+target, w, 502, 503, 504)
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("under faults: statuses %v, pre-warm errors %d, %d of %d storage requests faulted",
		codes, prewarmErrs, e.proxy.Injected(), e.proxy.Requests())
	if e.proxy.Injected() == 0 {
		t.Error("no fault was injected")
	}

	e.proxy.Clear()
	time.Sleep(1500 * time.Millisecond) // delayed requests finish
	before := checkStored(t, e.srv)
	for i := range originals {
		for _, s := range sizes {
			target := fmt.Sprintf("/%s/p%d.jpg", s, i)
			w, _ := e.do(context.Background(), target)
			checkOK(t, "after chaos "+target, target, w)
		}
	}
	after := checkStored(t, e.srv)
	if len(after) != originals*len(sizes) {
		t.Errorf("%d variants after recovery, want %d", len(after), originals*len(sizes))
	}
	t.Logf("variants: %d whole after the faults, %d after recovery", len(before), len(after))
}

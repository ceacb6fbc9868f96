package edge

import (
	"encoding/json"
	"errors"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/imgorigin/imgorigin/handler/size"
	"github.com/imgorigin/imgorigin/handler/variantpath"
)

// vectors is testdata/vectors.json, the table edge/viewer-request.test.js runs the CloudFront
// Function against.
type vectors struct {
	Sizes  string `json:"sizes"`
	Accept []struct {
		Name   string  `json:"name"`
		Accept *string `json:"accept"`
		Want   Format  `json:"want"`
	} `json:"accept"`
	Keys []struct {
		Name    string `json:"name"`
		Key     string `json:"key"`
		Encoded string `json:"encoded"`
	} `json:"keys"`
	BadEncoded []struct {
		Name    string `json:"name"`
		Encoded string `json:"encoded"`
	} `json:"bad_encoded"`
	Requests []struct {
		Name       string     `json:"name"`
		URI        string     `json:"uri"`
		Accept     *string    `json:"accept"`
		Query      url.Values `json:"query"`
		WantURI    string     `json:"want_uri"`
		WantStatus int        `json:"want_status"`
	} `json:"requests"`
}

func load(t *testing.T) vectors {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Accept) == 0 || len(v.Keys) == 0 || len(v.BadEncoded) == 0 || len(v.Requests) == 0 {
		t.Fatal("a section of the vector table is empty")
	}
	return v
}

// status is the HTTP status the handler's status() gives these errors today.
func status(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, size.ErrMalformed):
		return 400
	case errors.Is(err, fs.ErrNotExist):
		return 404
	}
	return 500
}

func TestNegotiateVectors(t *testing.T) {
	for _, v := range load(t).Accept {
		accept := ""
		if v.Accept != nil {
			accept = *v.Accept
		}
		if got := Negotiate(accept); got != v.Want {
			t.Errorf("%s: Negotiate(%.80q) = %s, want %s", v.Name, accept, got, v.Want)
		}
	}
}

func TestRouteVectors(t *testing.T) {
	v := load(t)
	sizes, err := size.ParseList(v.Sizes)
	if err != nil {
		t.Fatal(err)
	}
	allowed := size.NewAllowlist(sizes)
	for _, r := range v.Requests {
		accept := ""
		if r.Accept != nil {
			accept = *r.Accept
		}
		req, err := Route(r.URI, r.Query, accept, allowed)
		if r.WantStatus != 0 {
			if got := status(err); got != r.WantStatus {
				t.Errorf("%s: Route(%.60q) = %+v, %v (status %d), want status %d", r.Name, r.URI, req, err, got, r.WantStatus)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: Route(%.60q): %v, want %s", r.Name, r.URI, err, r.WantURI)
			continue
		}
		if got := req.OriginPath(); got != r.WantURI {
			t.Errorf("%s: origin path %q, want %q", r.Name, got, r.WantURI)
		}
		back, err := ParseOrigin(r.WantURI)
		if err != nil || back != req {
			t.Errorf("%s: ParseOrigin(%q) = %+v, %v, want %+v", r.Name, r.WantURI, back, err, req)
		}
	}
}

func TestKeyVectors(t *testing.T) {
	v := load(t)
	for _, k := range v.Keys {
		if got := EncodeKey(k.Key); got != k.Encoded {
			t.Errorf("%s: EncodeKey = %q, want %q", k.Name, got, k.Encoded)
		}
		if got, err := DecodeKey(k.Encoded); err != nil || got != k.Key {
			t.Errorf("%s: DecodeKey(%q) = %q, %v, want %q", k.Name, k.Encoded, got, err, k.Key)
		}
		if strings.Trim(k.Encoded, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/") != "" {
			t.Errorf("%s: encoded form %q has a character SigV4 would encode", k.Name, k.Encoded)
		}
	}
	for _, b := range v.BadEncoded {
		if got, err := DecodeKey(b.Encoded); !errors.Is(err, size.ErrMalformed) {
			t.Errorf("%s: DecodeKey(%.60q) = %q, %v, want an error wrapping size.ErrMalformed", b.Name, b.Encoded, got, err)
		}
		for _, p := range []string{"/meta/" + b.Encoded, "/webp/800x600/" + b.Encoded} {
			if got, err := ParseOrigin(p); !errors.Is(err, size.ErrMalformed) {
				t.Errorf("%s: ParseOrigin(%.60q) = %+v, %v, want a refusal", b.Name, p, got, err)
			}
		}
	}
}

func TestParseOriginRefusesOtherSpellings(t *testing.T) {
	for _, p := range []string{
		"", "/", "/meta", "/avif", "/avif/800x600", "/AVIF/800x600/a.jpg", "/jpeg/800x600/a.jpg",
		"/avif/0800x600/a.jpg", "/avif/800X600/a.jpg", "avif/800x600/a.jpg", "/avif//800x600/a.jpg",
		"/original/800x600/a%20b.jpg", "/meta/a~0A", "/meta/a~7e", "/meta/~2E~2E/a",
	} {
		if r, err := ParseOrigin(p); err == nil {
			t.Errorf("ParseOrigin(%q) = %+v, want an error", p, r)
		}
	}
	r, err := ParseOrigin("/webp/400x300/nested/summer~202024/beach~2Bsunset.jpg")
	want := Request{Format: WebP, Size: size.Size{W: 400, H: 300}, Key: "nested/summer 2024/beach+sunset.jpg"}
	if err != nil || r != want {
		t.Errorf("ParseOrigin = %+v, %v, want %+v", r, err, want)
	}
}

// TestViewerRequestFunction runs node's test runner over the real CloudFront Function file, so
// `go test ./...` (and so `make test`) covers the JavaScript too. Node is a test prerequisite like
// libvips: without it this fails, it does not skip.
func TestViewerRequestFunction(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node (18 or later) is needed to test edge/viewer-request.js: apt-get install nodejs")
	}
	out, err := exec.Command(node, "--test", "--test-reporter=dot", "viewer-request.test.js").CombinedOutput()
	if err != nil {
		t.Fatalf("node --test edge/viewer-request.test.js: %v\n%s", err, out)
	}
	t.Logf("node --test: %s", strings.TrimSpace(string(out)))
}

func FuzzKeyRoundTrip(f *testing.F) {
	for _, s := range []string{"a.jpg", "nested/summer 2024/beach+sunset.jpg", "café", "cafe\u0301", "~", "%25", "a/../b", "\x00", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		enc := EncodeKey(key)
		if strings.Trim(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/") != "" {
			t.Fatalf("EncodeKey(%q) = %q: a character outside SigV4's unreserved set", key, enc)
		}
		got, err := DecodeKey(enc)
		if variantpath.CheckPath(key) != nil {
			if err == nil {
				t.Fatalf("DecodeKey(%q) accepted %q, which variantpath.CheckPath refuses", enc, got)
			}
			return
		}
		if err != nil || got != key {
			t.Fatalf("DecodeKey(EncodeKey(%q)) = %q, %v", key, got, err)
		}
	})
}

// FuzzDecodeCanonical: whatever DecodeKey accepts is exactly what EncodeKey writes for its key,
// so a variant has one origin path and one cache entry.
func FuzzDecodeCanonical(f *testing.F) {
	for _, s := range []string{"a.jpg", "a~20b", "a~2b", "~41", "~C3~A9", "a~2", "a//b", "~7E"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, enc string) {
		key, err := DecodeKey(enc)
		if err != nil {
			return
		}
		if !utf8.ValidString(key) {
			t.Fatalf("DecodeKey(%q) = %q, not UTF-8", enc, key)
		}
		if again := EncodeKey(key); again != enc {
			t.Fatalf("DecodeKey(%q) = %q, which encodes as %q: two spellings of one key", enc, key, again)
		}
	})
}

// FuzzRoute: any viewer path either gets a 400/404 or an origin path of unreserved characters
// that ParseOrigin reads back to the same request.
func FuzzRoute(f *testing.F) {
	for _, s := range []string{"/800x600/a.jpg", "/meta/a%20b", "/800x600/%C3%A9", "/", "/800x600/a%", "/800x600/..%2Fa"} {
		f.Add(s, "image/avif,image/webp;q=0.5", "")
	}
	allowed := size.NewAllowlist([]size.Size{{W: 800, H: 600}})
	f.Fuzz(func(t *testing.T, raw, accept, format string) {
		q := url.Values{}
		if format != "" {
			q.Set("format", format)
		}
		r, err := Route(raw, q, accept, allowed)
		if err != nil {
			if s := status(err); s != 400 && s != 404 {
				t.Fatalf("Route(%q): %v (status %d)", raw, err, s)
			}
			return
		}
		p := r.OriginPath()
		if strings.Trim(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/") != "" {
			t.Fatalf("Route(%q) origin path %q needs encoding", raw, p)
		}
		if back, err := ParseOrigin(p); err != nil || back != r {
			t.Fatalf("ParseOrigin(%q) = %+v, %v, want %+v", p, back, err, r)
		}
	})
}

// TestFunctionAgreesWithGo feeds generated viewer requests, built from the fragments that
// matter (escapes, dots, slashes, sizes, media ranges, q-values), to both the CloudFront
// Function under node and Route, and wants the same answer for every one.
func TestFunctionAgreesWithGo(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node (18 or later) is needed to test edge/viewer-request.js: apt-get install nodejs")
	}
	type tcase struct {
		URI    string  `json:"uri"`
		Accept *string `json:"accept"`
		Format *string `json:"format"`
	}
	pick := func(rng *rand.Rand, xs []string) string { return xs[rng.IntN(len(xs))] }
	sizes := []string{"800x600", "400x300", "meta", "800x600", "400x300", "meta", "100x100", "0x1", "8192x8192", "800X600", "x", "", "08x6"}
	benign := []string{"a", "Z9", ".jpg", "-_", "%20", "%2B", "+", "~", "(", "'", "!", "%25", "%C3%A9", "%c3%a9", "%E2%82%AC", "%F0%9F%8C%85", "%2F", "%2f"}
	hostile := []string{".", "..", "/", "//", "%", "%2", "%C3", "%ED%A0%80", "%C0%AF", "%00", "%7F", "%C2%85", "%5C", "é", " ", "\t", "%G0"}
	ranges := []string{"image/avif", "image/webp", "IMAGE/WEBP", "image/*", "*/*", "text/html", "image/avifx", "image/png", "", "image/avif", "image/webp", "\u0130mage/avif", "image/webp\u00e9", "\timage/avif"}
	params := []string{"", ";q=0", ";q=1", ";q=0.5", ";q=0.50", ";q=1.0", ";q=1.5", ";q=.5", ";Q=0", ";q=0.0001", ";q=", "; q=0.9 ", ";level=1", ";q=0;q=1"}
	formats := []string{"avif", "webp", "original", "AVIF", "jpeg", "", "webp "}
	rng := rand.New(rand.NewPCG(10, 10))
	cases := make([]tcase, 4000)
	for i := range cases {
		var p strings.Builder
		p.WriteString("/" + pick(rng, sizes))
		if rng.IntN(10) > 0 {
			p.WriteString("/")
		}
		for j := range rng.IntN(7) {
			if j > 0 && rng.IntN(3) == 0 {
				p.WriteString("/")
			}
			if rng.IntN(10) == 0 {
				p.WriteString(pick(rng, hostile))
			} else {
				p.WriteString(pick(rng, benign))
			}
		}
		c := tcase{URI: p.String()}
		if rng.IntN(5) > 0 {
			var a []string
			for range rng.IntN(5) {
				a = append(a, pick(rng, ranges)+pick(rng, params))
			}
			s := strings.Join(a, pick(rng, []string{",", ", ", " ,"}))
			c.Accept = &s
		}
		if rng.IntN(4) == 0 {
			s := pick(rng, formats)
			c.Format = &s
		}
		cases[i] = c
	}
	const sizeList = "800x600,400x300"
	in, _ := json.Marshal(map[string]any{"sizes": sizeList, "cases": cases})
	cmd := exec.Command(node, "testdata/run-function.js")
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node testdata/run-function.js: %v", err)
	}
	var got []struct {
		Status int    `json:"status"`
		URI    string `json:"uri"`
	}
	if err := json.Unmarshal(out, &got); err != nil || len(got) != len(cases) {
		t.Fatalf("node answered %d results for %d cases: %v", len(got), len(cases), err)
	}
	list, _ := size.ParseList(sizeList)
	allowed := size.NewAllowlist(list)
	passed := 0
	for i, c := range cases {
		accept, q := "", url.Values{}
		if c.Accept != nil {
			accept = *c.Accept
		}
		if c.Format != nil {
			q.Set("format", *c.Format)
		}
		r, err := Route(c.URI, q, accept, allowed)
		wantStatus, wantURI := status(err), ""
		if err == nil {
			wantURI = r.OriginPath()
			passed++
		}
		if got[i].Status != wantStatus || got[i].URI != wantURI {
			t.Errorf("%q accept %q format %v: function %+v, Go status %d uri %q (%v)", c.URI, accept, c.Format, got[i], wantStatus, wantURI, err)
		}
	}
	// The generator must reach the origin path often enough to compare rewrites, not only refusals.
	if passed < len(cases)/8 || passed > len(cases)*7/8 {
		t.Errorf("only %d of %d generated requests reached the origin: the generator must reach both the origin and the refusals", passed, len(cases))
	}
	t.Logf("%d generated requests agree (%d passed on to the origin)", len(cases), passed)
}

package variantpath_test

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/imgorigin/imgorigin/handler/size"
	"github.com/imgorigin/imgorigin/handler/size/sizetest"
	"github.com/imgorigin/imgorigin/handler/variantpath"
)

// validPaths are <path> parts the contract accepts: nested folders and any character S3 allows.
var validPaths = []string{
	"a",
	"a.jpg",
	"photo.jpg",
	"nested/folder/photo.jpg",
	"a/b/c/d/e/f/g/h.png",
	"summer 2024/beach sunset.jpg",
	"beach+sunset.jpg",
	"a+b/c d+e.jpg",
	"café/日本.jpg",
	"Ünïcödé/😀.png",
	"100%.jpg",
	"%2e%2e",      // a literal name once the URL has been decoded
	"%2e%2e/x",    // likewise
	"..a/b..",     // dots inside a segment are fine
	".hidden.jpg", // so is a leading dot
	"...",
	"a/.../b",
	"x.jpg?v=1",
	"a#b.jpg",
	"(1)[2]{3}!$&'*,;=@~.jpg",
	"800x600/photo.jpg", // an image path may itself start with something size-like
	"originals/x.jpg",
	strings.Repeat("a", variantpath.MaxPathBytes),
	strings.Repeat("é", variantpath.MaxPathBytes/2), // 2 bytes each: exactly the limit
}

// malformedPaths are <path> parts the contract rejects with 400.
var malformedPaths = []struct{ name, in string }{
	{"empty", ""},
	{"dotdot", ".."},
	{"dot", "."},
	{"dotdot slash", "../"},
	{"dotdot prefix", "../x"},
	{"dotdot middle", "a/../b"},
	{"dotdot end", "a/.."},
	{"dot middle", "a/./b"},
	{"dot end", "a/."},
	{"escape twice", "a/../../x"},
	{"leading slash", "/a.jpg"},
	{"absolute", "/etc/passwd"},
	{"trailing slash", "a/"},
	{"trailing slash nested", "a/b/"},
	{"double slash", "a//b.jpg"},
	{"only slash", "/"},
	{"only slashes", "//"},
	{"NUL", "a\x00b.jpg"},
	{"NUL end", "a.jpg\x00"},
	{"newline", "a\nb.jpg"},
	{"carriage return", "a\r.jpg"},
	{"tab", "a\tb.jpg"},
	{"escape", "a\x1b[31m.jpg"},
	{"DEL", "a\x7f.jpg"},
	{"C1 control", "a\u0085.jpg"},
	{"C1 CSI", "a\u009b.jpg"},
	{"invalid UTF-8", "a\xff.jpg"},
	{"truncated UTF-8", "caf\xc3"},
	{"overlong UTF-8 slash", "a\xc0\xafb"},
	{"surrogate half", "a\xed\xa0\x80.jpg"},
	{"backslash", "a\\b.jpg"},
	{"backslash dotdot", "..\\x"},
	{"too long", strings.Repeat("a", variantpath.MaxPathBytes+1)},
	{"too long multibyte", strings.Repeat("é", variantpath.MaxPathBytes/2) + "a"},
	{"very long", strings.Repeat("a/", 100000) + "a"},
}

func TestCheckPath(t *testing.T) {
	for _, p := range validPaths {
		if err := variantpath.CheckPath(p); err != nil {
			t.Errorf("CheckPath(%q): unexpected error %v", clip(p), err)
		}
	}
	for _, tc := range malformedPaths {
		err := variantpath.CheckPath(tc.in)
		if err == nil {
			t.Errorf("%s: CheckPath(%q) = nil, want an error", tc.name, clip(tc.in))
			continue
		}
		if !errors.Is(err, variantpath.ErrMalformed) {
			t.Errorf("%s: CheckPath(%q): %v does not wrap ErrMalformed", tc.name, clip(tc.in), err)
		}
		if len(err.Error()) > 300 {
			t.Errorf("%s: error message is %d bytes, want it short", tc.name, len(err.Error()))
		}
	}
}

func TestParse(t *testing.T) {
	for _, p := range validPaths {
		for _, s := range []size.Size{{W: 800, H: 600}, {W: 1, H: 1}, {W: size.MaxDim, H: 17}} {
			in := "/" + s.String() + "/" + p
			gs, gp, err := parts(variantpath.Parse(in))
			if err != nil {
				t.Errorf("Parse(%q): unexpected error %v", clip(in), err)
				continue
			}
			if gs != s || gp != p {
				t.Errorf("Parse(%q) = %+v, %q; want %+v, %q", clip(in), gs, clip(gp), s, clip(p))
			}
		}
	}

	type bad struct{ name, in string }
	var cases []bad
	for _, sz := range sizetest.Malformed {
		cases = append(cases, bad{"size " + sz, "/" + sz + "/photo.jpg"})
	}
	for _, tc := range malformedPaths {
		cases = append(cases, bad{"path " + tc.name, "/800x600/" + tc.in})
	}
	cases = append(cases,
		bad{"empty", ""},
		bad{"root", "/"},
		bad{"no leading slash", "original/800x600/photo.jpg"},
		bad{"size only", "/800x600"},
		bad{"size and slash", "/800x600/"},
		bad{"double leading slash", "//800x600/photo.jpg"},
		bad{"double slash after size", "/800x600//photo.jpg"},
		bad{"abc", "/abc/photo.jpg"},
		bad{"0x10", "/0x10/photo.jpg"},
		bad{"../", "/800x600/../"},
		bad{"../ as size", "/../800x600/photo.jpg"},
		bad{"no size", "/photo.jpg"},
		bad{"favicon", "/favicon.ico"},
		bad{"originals", "/originals/photo.jpg"},
	)
	// The handler gets r.URL.Path, which net/url has already decoded: %2e%2e arrives as "..".
	for _, raw := range []string{
		"/800x600/%2e%2e",
		"/800x600/%2E%2E/x.jpg",
		"/800x600/a/%2e%2e/%2e%2e/etc/passwd",
		"/800x600/%2e/x.jpg",
		"/800x600/a%2f%2fb.jpg",
		"/800x600/a%00b.jpg",
		"/800x600/a%0ab.jpg",
		"/800x600/a%ffb.jpg",
		"/800x600/a%5cb.jpg",
		"/%38%30%30x600/%2e%2e",
	} {
		dec, err := url.PathUnescape(raw)
		if err != nil {
			t.Fatalf("PathUnescape(%q): %v", raw, err)
		}
		cases = append(cases, bad{"decoded " + raw, dec})
	}
	for _, tc := range cases {
		s, p, err := parts(variantpath.Parse(tc.in))
		if err == nil {
			t.Errorf("%s: Parse(%q) = %+v, %q; want an error", tc.name, clip(tc.in), s, clip(p))
			continue
		}
		if !errors.Is(err, variantpath.ErrMalformed) {
			t.Errorf("%s: Parse(%q): %v does not wrap ErrMalformed", tc.name, clip(tc.in), err)
		}
		if s != (size.Size{}) || p != "" {
			t.Errorf("%s: Parse(%q) returned %+v, %q with its error", tc.name, clip(tc.in), s, clip(p))
		}
	}
}

func TestParseThroughURL(t *testing.T) {
	// End to end through net/url, as the handler sees it: the percent-encoded forms of valid
	// names decode to those names, and %2e%2e decodes to a rejected "..".
	for _, tc := range []struct {
		raw      string
		wantPath string // "" means an error is wanted
	}{
		{"/800x600/caf%C3%A9/%E6%97%A5%E6%9C%AC.jpg", "café/日本.jpg"},
		{"/800x600/summer%202024/beach+sunset.jpg", "summer 2024/beach+sunset.jpg"},
		{"/800x600/100%25.jpg", "100%.jpg"},
		{"/800x600/%252e%252e", "%2e%2e"},
		{"/800x600/%2e%2e", ""},
		{"/800x600/%2e%2e/%2e%2e/etc/passwd", ""},
		{"/800x600/a/%2E%2E", ""},
	} {
		u, err := url.Parse("https://example.test" + tc.raw)
		if err != nil {
			t.Fatalf("url.Parse(%q): %v", tc.raw, err)
		}
		s, p, err := parts(variantpath.Parse(u.Path))
		if tc.wantPath == "" {
			if err == nil || !errors.Is(err, variantpath.ErrMalformed) {
				t.Errorf("%s: Parse(%q) = %v, %q, %v; want ErrMalformed", tc.raw, u.Path, s, p, err)
			}
			continue
		}
		if err != nil || p != tc.wantPath || s != (size.Size{W: 800, H: 600}) {
			t.Errorf("%s: Parse(%q) = %v, %q, %v; want 800x600, %q", tc.raw, u.Path, s, p, err, tc.wantPath)
		}
	}
}

func TestParseKey(t *testing.T) {
	s, p, err := parts(variantpath.ParseKey("original/400x300/nested/summer 2024/beach+sunset.jpg"))
	if err != nil || s != (size.Size{W: 400, H: 300}) || p != "nested/summer 2024/beach+sunset.jpg" {
		t.Errorf("ParseKey = %v, %q, %v", s, p, err)
	}
	for _, in := range []string{
		"",
		"400x300",
		"400x300/",
		"/400x300/a.jpg", // a request path, not a key
		"originals/a.jpg",
		"abc/a.jpg",
		"400x300//a.jpg",
		"400x300/../a.jpg",
		"400x300/a/../../b",
		"0400x300/a.jpg",
		"400x300/a\x00.jpg",
	} {
		s, p, err := parts(variantpath.ParseKey(in))
		if err == nil || !errors.Is(err, variantpath.ErrMalformed) {
			t.Errorf("ParseKey(%q) = %v, %q, %v; want ErrMalformed", in, s, p, err)
		}
	}
}

func TestKey(t *testing.T) {
	for _, tc := range []struct {
		s    size.Size
		p    string
		want string
	}{
		{size.Size{W: 800, H: 600}, "photo.jpg", "original/800x600/photo.jpg"},
		{size.Size{W: 200, H: 150}, "nested/summer 2024/beach+sunset.jpg", "original/200x150/nested/summer 2024/beach+sunset.jpg"},
		{size.Size{W: 1, H: 8192}, "café/日本.jpg", "original/1x8192/café/日本.jpg"},
	} {
		if got := (variantpath.Variant{Size: tc.s, Path: tc.p}).Key(); got != tc.want {
			t.Errorf("Key(%v, %q) = %q, want %q", tc.s, tc.p, got, tc.want)
		}
	}
	// The key says the format, whatever the path starts with.
	webpOfA := variantpath.Variant{Format: variantpath.WebP, Size: size.Size{W: 8, H: 6}, Path: "a.jpg"}
	origOfWebpA := variantpath.Variant{Format: variantpath.Original, Size: size.Size{W: 8, H: 6}, Path: "webp/a.jpg"}
	if webpOfA.Key() == origOfWebpA.Key() {
		t.Errorf("two variants share the key %q", webpOfA.Key())
	}
	for _, v := range []variantpath.Variant{webpOfA, origOfWebpA, {Format: variantpath.AVIF, Size: size.Size{W: 8, H: 6}, Path: "avif/800x600/x"}} {
		if got, err := variantpath.ParseKey(v.Key()); err != nil || got != v {
			t.Errorf("ParseKey(%q) = %+v, %v; want %+v", v.Key(), got, err, v)
		}
	}
	// The longest variant key fits in an S3 key (1024 bytes).
	longest := variantpath.Variant{Size: size.Size{W: size.MaxDim, H: size.MaxDim}, Path: strings.Repeat("a", variantpath.MaxPathBytes)}.Key()
	if len(longest) > 1024 {
		t.Errorf("longest variant key is %d bytes, over S3's 1024", len(longest))
	}
}

func TestRoundTrip(t *testing.T) {
	sizes := []size.Size{{W: 1, H: 1}, {W: size.MaxDim, H: size.MaxDim}, {W: 800, H: 600}, {W: 400, H: 300}, {W: 200, H: 150}, {W: 7, H: 4096}}
	for w := 1; w <= size.MaxDim; w = w*3 + 1 {
		for h := 1; h <= size.MaxDim; h = h*5 + 2 {
			sizes = append(sizes, size.Size{W: w, H: h})
		}
	}
	for _, s := range sizes {
		for _, p := range validPaths {
			key := variantpath.Variant{Size: s, Path: p}.Key()
			gs, gp, err := parts(variantpath.ParseKey(key))
			if err != nil || gs != s || gp != p {
				t.Fatalf("ParseKey(Key(%v, %q)) = %v, %q, %v", s, clip(p), gs, clip(gp), err)
			}
			gs, gp, err = parts(variantpath.Parse("/" + strings.TrimPrefix(key, "original/")))
			if err != nil || gs != s || gp != p {
				t.Fatalf("Parse(/Key(%v, %q)) = %v, %q, %v", s, clip(p), gs, clip(gp), err)
			}
		}
	}
}

// TestURLPath checks the escaped form against what browsers send and CloudFront invalidates.
func TestURLPath(t *testing.T) {
	for _, tc := range []struct {
		v    variantpath.Variant
		want string
	}{
		{variantpath.Variant{Size: size.Size{W: 800, H: 600}, Path: "photo.jpg"}, "/800x600/photo.jpg"},
		{variantpath.Variant{Size: size.Size{W: 100, H: 100}, Path: "shop/red shoe+1.jpg"}, "/100x100/shop/red%20shoe+1.jpg"},
		{variantpath.Variant{Size: size.Size{W: 1, H: 8192}, Path: "café/100%.jpg"}, "/1x8192/caf%C3%A9/100%25.jpg"},
		{variantpath.Variant{Size: size.Size{W: 2, H: 3}, Path: "a#b.jpg"}, "/2x3/a%23b.jpg"},
		{variantpath.Variant{Size: size.Size{W: 2, H: 3}, Path: "x.jpg?v=1"}, "/2x3/x.jpg%3Fv=1"},
		{variantpath.Variant{Size: size.Size{W: 2, H: 3}, Path: "%2e%2e/x"}, "/2x3/%252e%252e/x"},
	} {
		if got := tc.v.URLPath(); got != tc.want {
			t.Errorf("URLPath(%+v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

// TestRoundTripEscaped checks every form against its parser: ParseEscaped(URLPath()),
// net/url's decoding of URLPath() into Parse (the handler's way in), and ParseKey(Key()).
func TestRoundTripEscaped(t *testing.T) {
	for _, s := range []size.Size{{W: 1, H: 1}, {W: 800, H: 600}, {W: size.MaxDim, H: size.MaxDim}} {
		for _, p := range validPaths {
			v := variantpath.Variant{Format: variantpath.Original, Size: s, Path: p}
			got, err := variantpath.ParseEscaped(v.URLPath())
			if err != nil || got != v {
				t.Fatalf("ParseEscaped(%q) = %+v, %v; want %+v", clip(v.URLPath()), got, err, v)
			}
			u, err := url.Parse("https://example.test" + v.URLPath())
			if err != nil {
				t.Fatalf("url.Parse(%q): %v", clip(v.URLPath()), err)
			}
			if u.EscapedPath() != v.URLPath() {
				t.Errorf("net/url re-escapes %q as %q", clip(v.URLPath()), clip(u.EscapedPath()))
			}
			if got, err := variantpath.Parse(u.Path); err != nil || got != v {
				t.Fatalf("Parse(%q) = %+v, %v; want %+v", clip(u.Path), got, err, v)
			}
			if got, err := variantpath.ParseKey(v.Key()); err != nil || got != v {
				t.Fatalf("ParseKey(%q) = %+v, %v; want %+v", clip(v.Key()), got, err, v)
			}
		}
	}
	for _, bad := range []string{"/800x600/a%zz.jpg", "/800x600/%", "/800x600/%2e%2e", "/800x600/a%2F%2Fb", "800x600/a.jpg"} {
		if v, err := variantpath.ParseEscaped(bad); !errors.Is(err, variantpath.ErrMalformed) {
			t.Errorf("ParseEscaped(%q) = %+v, %v; want ErrMalformed", bad, v, err)
		}
	}
}

// parts splits a parser's answer into size, path and error for the assertions above.
func parts(v variantpath.Variant, err error) (size.Size, string, error) { return v.Size, v.Path, err }

func clip(s string) string {
	if len(s) > 60 {
		return fmt.Sprintf("%s...(%d bytes)", s[:60], len(s))
	}
	return s
}

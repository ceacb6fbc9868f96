package size_test

import (
	"errors"
	"testing"

	"github.com/imgorigin/imgorigin/handler/size"
)

// FuzzParseRequest checks ParseRequest's promises on any input: it never panics; what it accepts
// is a size within 1..MaxDim and a path that CheckPath accepts, laid out so that VariantKey gives
// the input back; what it refuses wraps ErrMalformed.
// Seeds: the f.Add calls below and testdata/fuzz/FuzzParseRequest.
func FuzzParseRequest(f *testing.F) {
	for _, seed := range []string{
		"/800x600/photo.jpg",
		"/8192x8192/a",
		"/1x1/café/日本.jpg",
		"/400x300/nested/summer 2024/beach+sunset.jpg",
		"/200x150/100%.jpg",
		"/800x600/%2e%2e",
		"/800x600/..",
		"/800x600/../",
		"/800x600/a/../../x",
		"/800x600/",
		"/800x600",
		"/0x10/a.jpg",
		"/abc/a.jpg",
		"/0800x600/a.jpg",
		"/+800x600/a.jpg",
		"/800X600/a.jpg",
		"/800x600x1/a.jpg",
		"/99999999x1/a.jpg",
		"/-1x5/a.jpg",
		"/٨٠٠x600/a.jpg",
		"//800x600/a.jpg",
		"/800x600//a.jpg",
		"/800x600/a/",
		"/800x600/a\x00b",
		"/800x600/a\xffb",
		"/800x600/a\\b",
		"",
		"/",
		"800x600/a.jpg",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, p, err := size.ParseRequest(in)
		if err != nil {
			if !errors.Is(err, size.ErrMalformed) {
				t.Fatalf("ParseRequest(%q): error %v does not wrap ErrMalformed", in, err)
			}
			if s != (size.Size{}) || p != "" {
				t.Fatalf("ParseRequest(%q) returned %v, %q with its error", in, s, p)
			}
			return
		}
		if s.W < 1 || s.W > size.MaxDim || s.H < 1 || s.H > size.MaxDim {
			t.Fatalf("ParseRequest(%q): size %v out of 1..%d", in, s, size.MaxDim)
		}
		if err := size.CheckPath(p); err != nil {
			t.Fatalf("ParseRequest(%q): path %q fails CheckPath: %v", in, p, err)
		}
		if got := "/" + size.VariantKey(s, p); got != in {
			t.Fatalf("ParseRequest(%q) = %v, %q; VariantKey gives %q back", in, s, p, got)
		}
		s2, p2, err := size.ParseKey(size.VariantKey(s, p))
		if err != nil || s2 != s || p2 != p {
			t.Fatalf("ParseKey(VariantKey(%v, %q)) = %v, %q, %v", s, p, s2, p2, err)
		}
	})
}

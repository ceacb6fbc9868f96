package variantpath_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/imgorigin/imgorigin/handler/size"
	"github.com/imgorigin/imgorigin/handler/variantpath"
)

// FuzzParse checks Parse's promises on any input: it never panics; what it accepts is a size
// within 1..MaxDim and a path that CheckPath accepts, laid out so that Key gives the input back
// and URLPath gives a form that ParseEscaped reads back; what it refuses wraps ErrMalformed.
// Seeds: the f.Add calls below and testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
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
		v, err := variantpath.Parse(in)
		s, p := v.Size, v.Path
		if err != nil {
			if !errors.Is(err, variantpath.ErrMalformed) {
				t.Fatalf("Parse(%q): error %v does not wrap ErrMalformed", in, err)
			}
			if s != (size.Size{}) || p != "" {
				t.Fatalf("Parse(%q) returned %v, %q with its error", in, s, p)
			}
			return
		}
		if s.W < 1 || s.W > size.MaxDim || s.H < 1 || s.H > size.MaxDim {
			t.Fatalf("Parse(%q): size %v out of 1..%d", in, s, size.MaxDim)
		}
		if err := variantpath.CheckPath(p); err != nil {
			t.Fatalf("Parse(%q): path %q fails CheckPath: %v", in, p, err)
		}
		if got := "/" + strings.TrimPrefix(v.Key(), "original/"); got != in {
			t.Fatalf("Parse(%q) = %v, %q; Key gives %q back", in, s, p, got)
		}
		if v2, err := variantpath.ParseKey(v.Key()); err != nil || v2 != v {
			t.Fatalf("ParseKey(%q) = %+v, %v", v.Key(), v2, err)
		}
		if v2, err := variantpath.ParseEscaped(v.URLPath()); err != nil || v2 != v {
			t.Fatalf("ParseEscaped(%q) = %+v, %v; want %+v", v.URLPath(), v2, err, v)
		}
	})
}

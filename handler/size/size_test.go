package size_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/imgorigin/imgorigin/handler/size"
	"github.com/imgorigin/imgorigin/handler/size/sizetest"
)

func TestParseValid(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want size.Size
	}{
		{"800x600", size.Size{W: 800, H: 600}},
		{"1x1", size.Size{W: 1, H: 1}},
		{"8192x8192", size.Size{W: size.MaxDim, H: size.MaxDim}},
		{"8192x1", size.Size{W: 8192, H: 1}},
		{"10x100", size.Size{W: 10, H: 100}},
		{"1000x9", size.Size{W: 1000, H: 9}},
	} {
		got, err := size.Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): unexpected error %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		if got.String() != tc.in {
			t.Errorf("Parse(%q).String() = %q, want the input back", tc.in, got.String())
		}
	}
}

func TestParseMalformed(t *testing.T) {
	for _, in := range sizetest.Malformed {
		got, err := size.Parse(in)
		if err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", in, got)
			continue
		}
		if !errors.Is(err, size.ErrMalformed) {
			t.Errorf("Parse(%q): error %v does not wrap ErrMalformed", in, err)
		}
		if got != (size.Size{}) {
			t.Errorf("Parse(%q) returned %+v with its error, want the zero Size", in, got)
		}
	}
}

func TestParseErrorIsShort(t *testing.T) {
	long := strings.Repeat("9", 10000) + "x" + strings.Repeat("9", 10000)
	_, err := size.Parse(long)
	if err == nil {
		t.Fatal("want an error")
	}
	if len(err.Error()) > 300 {
		t.Errorf("error message is %d bytes; the client's input must be clipped", len(err.Error()))
	}
}

func TestParseList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []size.Size
	}{
		{"800x600", []size.Size{{W: 800, H: 600}}},
		{"800x600,400x300,200x150", []size.Size{{W: 800, H: 600}, {W: 400, H: 300}, {W: 200, H: 150}}},
		{" 800x600 , 400x300 ", []size.Size{{W: 800, H: 600}, {W: 400, H: 300}}},
		{"800x600,,400x300,", []size.Size{{W: 800, H: 600}, {W: 400, H: 300}}},
		{"400x300,800x600,400x300", []size.Size{{W: 400, H: 300}, {W: 800, H: 600}}},
		{"200x150,800x600", []size.Size{{W: 200, H: 150}, {W: 800, H: 600}}}, // order kept
	} {
		got, err := size.ParseList(tc.in)
		if err != nil {
			t.Errorf("ParseList(%q): %v", tc.in, err)
			continue
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("ParseList(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
	for _, in := range []string{"", " ", ",", ", ,", "abc", "800x600,abc", "800x600,0x0", "800x600;400x300", "800X600"} {
		got, err := size.ParseList(in)
		if err == nil {
			t.Errorf("ParseList(%q) = %v, want an error", in, got)
			continue
		}
		if !errors.Is(err, size.ErrMalformed) {
			t.Errorf("ParseList(%q): %v does not wrap ErrMalformed", in, err)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	// Every size in range round-trips through String and Parse.
	for w := 1; w <= size.MaxDim; w++ {
		s := size.Size{W: w, H: size.MaxDim + 1 - w}
		got, err := size.Parse(s.String())
		if err != nil || got != s {
			t.Fatalf("Parse(%q) = %v, %v", s.String(), got, err)
		}
	}
}

func TestAllowlist(t *testing.T) {
	in := []size.Size{{W: 800, H: 600}, {W: 400, H: 300}, {W: 200, H: 150}}
	a := size.NewAllowlist(in)
	for _, s := range in {
		if !a.Allows(s) {
			t.Errorf("Allows(%v) = false", s)
		}
	}
	for _, s := range []size.Size{{W: 600, H: 800}, {W: 801, H: 600}, {W: 1, H: 1}, {}} {
		if a.Allows(s) {
			t.Errorf("Allows(%v) = true", s)
		}
	}
	if got := a.String(); got != "800x600,400x300,200x150" {
		t.Errorf("String() = %q", got)
	}
	if got := a.Sizes(); !slices.Equal(got, in) {
		t.Errorf("Sizes() = %v, want %v", got, in)
	}

	// The allowlist keeps its own copy: changing the caller's slice, or the one Sizes returns,
	// changes nothing.
	in[0] = size.Size{W: 1, H: 1}
	if a.Allows(size.Size{W: 1, H: 1}) || !a.Allows(size.Size{W: 800, H: 600}) {
		t.Error("NewAllowlist did not copy its argument")
	}
	got := a.Sizes()
	got[1] = size.Size{W: 2, H: 2}
	if a.Allows(size.Size{W: 2, H: 2}) || !a.Allows(size.Size{W: 400, H: 300}) {
		t.Error("Sizes returned the allowlist's own slice")
	}

	// The zero Allowlist allows nothing.
	var zero size.Allowlist
	if zero.Allows(size.Size{W: 800, H: 600}) || zero.String() != "" || len(zero.Sizes()) != 0 {
		t.Errorf("zero Allowlist: %q, %v", zero.String(), zero.Sizes())
	}

	// String parses back to the same list.
	l, err := size.ParseList(size.NewAllowlist(in).String())
	if err != nil || !slices.Equal(l, in) {
		t.Errorf("ParseList(String()) = %v, %v; want %v", l, err, in)
	}
}

func clip(s string) string {
	if len(s) > 60 {
		return fmt.Sprintf("%s...(%d bytes)", s[:60], len(s))
	}
	return s
}

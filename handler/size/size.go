// Package size parses output sizes ("<W>x<H>", and lists of them) and holds the allowlist.
// Where a variant of a size lives (URL path, bucket key) is package variantpath's.
// It is pure: no I/O, no libvips.
package size

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// MaxDim is the largest width or height the parser accepts, whatever the allowlist says.
const MaxDim = 8192

// ErrMalformed is wrapped by every parse error (and by variantpath's: the request is not of the
// form /<W>x<H>/<path>).
var ErrMalformed = errors.New("malformed request")

// Size is an output size in pixels.
type Size struct{ W, H int }

func (s Size) String() string { return strconv.Itoa(s.W) + "x" + strconv.Itoa(s.H) }

// Parse reads "<W>x<H>": decimal, no sign, no leading zero, 1..MaxDim each.
func Parse(v string) (Size, error) {
	ws, hs, ok := strings.Cut(v, "x")
	if !ok {
		return Size{}, fmt.Errorf("%w: size %q is not <W>x<H>", ErrMalformed, clip(v))
	}
	w, errW := dim(ws)
	h, errH := dim(hs)
	if errW != nil || errH != nil {
		return Size{}, fmt.Errorf("%w: size %q: width and height must be whole numbers from 1 to %d", ErrMalformed, clip(v), MaxDim)
	}
	return Size{w, h}, nil
}

func dim(v string) (int, error) {
	if v == "" || len(v) > 4 || v[0] == '0' {
		return 0, ErrMalformed
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, ErrMalformed
		}
	}
	n, _ := strconv.Atoi(v)
	if n > MaxDim {
		return 0, ErrMalformed
	}
	return n, nil
}

// ParseList reads a comma-separated list of sizes, such as "800x600,400x300". Duplicates are
// dropped; order is kept.
func ParseList(v string) ([]Size, error) {
	var out []Size
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		s, err := Parse(f)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no sizes in %q", ErrMalformed, clip(v))
	}
	return out, nil
}

// Allowlist is the set of sizes the service makes.
type Allowlist struct{ sizes []Size }

// NewAllowlist keeps a copy of sizes.
func NewAllowlist(sizes []Size) Allowlist { return Allowlist{slices.Clone(sizes)} }

// Allows reports whether s is in the list.
func (a Allowlist) Allows(s Size) bool { return slices.Contains(a.sizes, s) }

// Sizes returns a copy of the list, in configuration order.
func (a Allowlist) Sizes() []Size { return slices.Clone(a.sizes) }

// String is the list as configured, e.g. "800x600,400x300".
func (a Allowlist) String() string {
	parts := make([]string, len(a.sizes))
	for i, s := range a.sizes {
		parts[i] = s.String()
	}
	return strings.Join(parts, ",")
}

// clip keeps error messages short whatever the client sent.
func clip(v string) string {
	if len(v) > 32 {
		return v[:32] + "..."
	}
	return v
}

// Package size parses the <W>x<H> part of a request and lays out the bucket's keys.
// It is pure: no I/O, no libvips.
package size

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxDim is the largest width or height the parser accepts, whatever the allowlist says.
const MaxDim = 8192

// MaxPathBytes bounds the <path> part: S3 keys are at most 1024 bytes, and the longest variant
// prefix "8192x8192/" takes 10 of them.
const MaxPathBytes = 1000

// ErrMalformed is wrapped by every parse error: the request is not of the form /<W>x<H>/<path>.
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

// CheckPath validates the <path> part of a request or key: relative, non-empty, no empty, "." or
// ".." segment, no control characters, valid UTF-8, at most MaxPathBytes.
func CheckPath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("%w: empty image path", ErrMalformed)
	case len(p) > MaxPathBytes:
		return fmt.Errorf("%w: image path longer than %d bytes", ErrMalformed, MaxPathBytes)
	case !utf8.ValidString(p):
		return fmt.Errorf("%w: image path is not UTF-8", ErrMalformed)
	case strings.IndexFunc(p, unicode.IsControl) >= 0:
		return fmt.Errorf("%w: control character in image path", ErrMalformed)
	case strings.Contains(p, "\\"):
		return fmt.Errorf("%w: backslash in image path", ErrMalformed)
	}
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "":
			return fmt.Errorf("%w: empty segment in image path (leading, trailing or double slash)", ErrMalformed)
		case ".", "..":
			return fmt.Errorf("%w: %q segment in image path", ErrMalformed, seg)
		}
	}
	return nil
}

// ParseRequest splits a decoded URL path "/<W>x<H>/<path>" into its size and image path.
func ParseRequest(urlPath string) (Size, string, error) {
	rest, ok := strings.CutPrefix(urlPath, "/")
	if !ok {
		return Size{}, "", fmt.Errorf("%w: want /<W>x<H>/<path>", ErrMalformed)
	}
	return ParseKey(rest)
}

// ParseKey splits a variant key "<W>x<H>/<path>".
func ParseKey(key string) (Size, string, error) {
	sz, p, ok := strings.Cut(key, "/")
	if !ok {
		return Size{}, "", fmt.Errorf("%w: want /<W>x<H>/<path>", ErrMalformed)
	}
	s, err := Parse(sz)
	if err != nil {
		return Size{}, "", err
	}
	if err := CheckPath(p); err != nil {
		return Size{}, "", err
	}
	return s, p, nil
}

// VariantKey is the bucket key of the variant of path at size s: "<W>x<H>/<path>".
func VariantKey(s Size, path string) string { return s.String() + "/" + path }

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

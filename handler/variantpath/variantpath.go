// Package variantpath lays out where a variant lives: the URL path a client requests and the
// key it is stored under in the variants bucket, each with its parser. Every other package
// reads and writes these forms through it. It is pure: no I/O, no libvips.
//
// The forms of the variant of "shop/red shoe+1.jpg" at 800x600:
//
//	Key()      "800x600/shop/red shoe+1.jpg"         ParseKey reads it back
//	URLPath()  "/800x600/shop/red%20shoe+1.jpg"      ParseEscaped reads it back; Parse reads
//	                                                  its decoded form (net/http's URL.Path)
package variantpath

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/imgorigin/imgorigin/handler/size"
)

// MaxPathBytes bounds the image path: S3 keys are at most 1024 bytes, and the longest variant
// prefix "8192x8192/" takes 10 of them.
const MaxPathBytes = 1000

// Format is the format a variant is asked for: the edge's token (edge.Negotiate), one of three.
type Format string

// The three formats a URL can be served in; each is its own cache entry and stored variant.
const (
	// Original is the original's own web format: JPEG stays JPEG, PNG stays PNG (alpha kept),
	// and formats a browser may not read (HEIC) come out as JPEG.
	Original Format = "original"
	WebP     Format = "webp"
	AVIF     Format = "avif"
)

// ErrMalformed is wrapped by every parse error. It is size.ErrMalformed itself: a request is
// malformed whether its size or its path is wrong.
var ErrMalformed = size.ErrMalformed

// Variant names one variant of one original. Its zero value is not a variant; a Variant that
// came out of a parser, or whose Path passes CheckPath, is.
type Variant struct {
	Size size.Size
	Path string // the original's path below the originals prefix, e.g. "shop/red shoe+1.jpg"
}

// Key is the variant's key in the variants bucket: "<W>x<H>/<path>". ParseKey is its inverse.
func (v Variant) Key() string { return v.Size.String() + "/" + v.Path }

// URLPath is the variant's URL path as a browser sends it and as CloudFront invalidates it:
// each segment percent-encoded (a space is %20, "+" stays as it is). ParseEscaped is its
// inverse.
func (v Variant) URLPath() string { return "/" + v.Size.String() + "/" + EscapePath(v.Path) }

// EscapePath percent-encodes each segment of a slash-separated path for a URL, keeping the
// slashes: "shop/red shoe+1.jpg" becomes "shop/red%20shoe+1.jpg". url.PathUnescape undoes it.
func EscapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	return strings.Join(segs, "/")
}

// Parse reads a decoded URL path "/<W>x<H>/<path>", as net/http gives it in Request.URL.Path
// (so %2e%2e has already become ".." and is refused).
func Parse(urlPath string) (Variant, error) {
	rest, ok := strings.CutPrefix(urlPath, "/")
	if !ok {
		return Variant{}, fmt.Errorf("%w: want /<W>x<H>/<path>", ErrMalformed)
	}
	return ParseKey(rest)
}

// ParseEscaped reads a URL path as sent on the wire, percent-encoded (URLPath's form).
func ParseEscaped(rawPath string) (Variant, error) {
	p, err := url.PathUnescape(rawPath)
	if err != nil {
		return Variant{}, fmt.Errorf("%w: bad percent-encoding in the URL path", ErrMalformed)
	}
	return Parse(p)
}

// ParseKey reads a variant key "<W>x<H>/<path>".
func ParseKey(key string) (Variant, error) {
	sz, p, ok := strings.Cut(key, "/")
	if !ok {
		return Variant{}, fmt.Errorf("%w: want /<W>x<H>/<path>", ErrMalformed)
	}
	s, err := size.Parse(sz)
	if err != nil {
		return Variant{}, err
	}
	if err := CheckPath(p); err != nil {
		return Variant{}, err
	}
	return Variant{Size: s, Path: p}, nil
}

// CheckPath validates an image path (the <path> part of a request or key): relative,
// non-empty, no empty, "." or ".." segment, no control characters, no backslash, valid UTF-8,
// at most MaxPathBytes.
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

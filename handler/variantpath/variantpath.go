// Package variantpath lays out where a variant lives: the URL path a client requests and the
// key it is stored under in the variants bucket, each with its parser. Every other package
// reads and writes these forms through it. It is pure: no I/O, no libvips.
//
// The forms of the WebP variant of "shop/red shoe+1.jpg" at 800x600:
//
//	Key()      "webp/800x600/shop/red shoe+1.jpg"    ParseKey reads it back
//	URLPath()  "/800x600/shop/red%20shoe+1.jpg"      the viewer's URL (format-less: the edge
//	                                                  picks the format); ParseEscaped reads it
//	                                                  back as Original; Parse reads its decoded
//	                                                  form (net/http's URL.Path)
//
// The key starts with the format, so a key says which format it holds whatever the path is
// spelled with: the path "webp/a.jpg" in the original's format is "original/800x600/webp/a.jpg",
// never to be read as a WebP of "a.jpg". The format-first layout also keeps the variant
// prefixes of the bucket three (original/, webp/, avif/) and apart from the size-first keys
// "<W>x<H>/<path>" of earlier releases, which no key of this layout can be mistaken for.
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
	// Original is the format every browser reads, chosen from the original's: JPEG stays JPEG,
	// PNG stays PNG (alpha kept), GIF stays GIF; HEIC, WebP and AVIF originals come out as JPEG,
	// or as PNG when they have alpha (a viewer that did not take WebP or AVIF must not get it).
	Original Format = "original"
	WebP     Format = "webp"
	AVIF     Format = "avif"
)

// ErrMalformed is wrapped by every parse error. It is size.ErrMalformed itself: a request is
// malformed whether its size or its path is wrong.
var ErrMalformed = size.ErrMalformed

// Formats are the three formats, in the order a lifecycle event walks them.
var Formats = []Format{Original, WebP, AVIF}

// ParseFormatToken reads one of the three tokens exactly as written ("webp", never "WEBP").
func ParseFormatToken(v string) (Format, error) {
	switch f := Format(v); f {
	case Original, WebP, AVIF:
		return f, nil
	}
	return "", fmt.Errorf("%w: format %q: want original, webp or avif", ErrMalformed, clip(v))
}

// ParseFormats reads a comma-separated list of format tokens such as "original,webp"
// (PREWARM_FORMATS): no repeats, at least one.
func ParseFormats(list string) ([]Format, error) {
	var fs []Format
	for _, v := range strings.Split(list, ",") {
		f, err := ParseFormatToken(strings.TrimSpace(v))
		if err != nil {
			return nil, err
		}
		for _, g := range fs {
			if g == f {
				return nil, fmt.Errorf("%w: format %q listed twice", ErrMalformed, f)
			}
		}
		fs = append(fs, f)
	}
	return fs, nil
}

func clip(v string) string {
	if len(v) > 32 {
		return v[:32] + "..."
	}
	return v
}

// Variant names one variant of one original. Its zero value is not a variant; a Variant that
// came out of a parser, or whose Path passes CheckPath, is.
type Variant struct {
	Format Format // "" is Original
	Size   size.Size
	Path   string // the original's path below the originals prefix, e.g. "shop/red shoe+1.jpg"
}

// Fmt is v's format, Original for "".
func (v Variant) Fmt() Format {
	if v.Format == "" {
		return Original
	}
	return v.Format
}

// Key is the variant's key in the variants bucket: "<format>/<W>x<H>/<path>". ParseKey is its
// inverse.
func (v Variant) Key() string { return string(v.Fmt()) + "/" + v.Size.String() + "/" + v.Path }

// IsReservedPrefix reports whether a key prefix (such as ORIGINALS_PREFIX) starts with a
// segment the variants bucket uses: a format token, "meta", or a size (the earlier layout).
func IsReservedPrefix(prefix string) bool {
	first, _, _ := strings.Cut(prefix, "/")
	if _, err := ParseFormatToken(first); err == nil || first == "meta" {
		return true
	}
	_, err := size.Parse(first)
	return err == nil
}

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
// (so %2e%2e has already become ".." and is refused), as the Original variant.
func Parse(urlPath string) (Variant, error) {
	rest, ok := strings.CutPrefix(urlPath, "/")
	if !ok {
		return Variant{}, fmt.Errorf("%w: want /<W>x<H>/<path>", ErrMalformed)
	}
	return parseSized(Original, rest)
}

// ParseEscaped reads a URL path as sent on the wire, percent-encoded (URLPath's form).
func ParseEscaped(rawPath string) (Variant, error) {
	p, err := url.PathUnescape(rawPath)
	if err != nil {
		return Variant{}, fmt.Errorf("%w: bad percent-encoding in the URL path", ErrMalformed)
	}
	return Parse(p)
}

// ParseKey reads a variant key "<format>/<W>x<H>/<path>".
func ParseKey(key string) (Variant, error) {
	tok, rest, ok := strings.Cut(key, "/")
	if !ok {
		return Variant{}, fmt.Errorf("%w: want <format>/<W>x<H>/<path>", ErrMalformed)
	}
	f, err := ParseFormatToken(tok)
	if err != nil {
		return Variant{}, err
	}
	return parseSized(f, rest)
}

// parseSized reads "<W>x<H>/<path>" as a variant in format f.
func parseSized(f Format, key string) (Variant, error) {
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
	return Variant{Format: f, Size: s, Path: p}, nil
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

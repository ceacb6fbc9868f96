// Package edge holds the edge's decisions in Go: which format a viewer gets (Accept or an explicit
// ?format=), and the origin path that carries it, whose characters need no encoding at all. The
// CloudFront Function edge/viewer-request.js makes the same decisions on CloudFront; the local
// server and the origin use this package. testdata/vectors.json is passed by both.
//
// Viewer URL:  /<W>x<H>/<key>[?format=avif|webp|original]   and   /meta/<key>
// Origin path: /<format>/<W>x<H>/<encoded key>                and   /meta/<encoded key>
//
// The encoded key keeps A-Z a-z 0-9 - . _ and the / between segments, and writes every other
// byte of the key as ~XX (upper-case hex). Those are SigV4's unreserved characters, so
// CloudFront's origin access control signs the same bytes the function URL checks, whatever the
// key is spelled with. Bytes are kept as they are (S3 keys are bytes): an NFC and an NFD
// spelling of the same name are two keys with two origin paths. Each key has exactly one encoded
// form; DecodeKey refuses every other spelling, so one variant has one cache entry.
//
// It is pure: no I/O.
package edge

import (
	"fmt"
	"io/fs"
	"net/url"
	"strings"

	"github.com/imgorigin/imgorigin/handler/size"
	"github.com/imgorigin/imgorigin/handler/variantpath"
)

// Format is what a viewer gets: AVIF, WebP, or the original's own format. It is the key
// layout's (variantpath.Format): the edge's token is the stored variant's.
type Format = variantpath.Format

// The three formats a URL can be served in; each is its own cache entry and stored variant.
const (
	AVIF     = variantpath.AVIF
	WebP     = variantpath.WebP
	Original = variantpath.Original
)

// MetaPrefix is the first segment of the metadata endpoint: /meta/<key>.
const MetaPrefix = "meta"

// MaxAccept bounds the Accept header that is read; a longer one counts as absent.
const MaxAccept = 1024

// ErrSizeNotAllowed is a well-formed size outside the allowlist (400). It wraps
// size.ErrMalformed, as every other refusal of a request's form does.
var ErrSizeNotAllowed = fmt.Errorf("%w: size not allowed", size.ErrMalformed)

// ErrNoRoute is a path outside /<W>x<H>/... and /meta/... with a single segment, such as "/"
// or "/favicon.ico" (404). It wraps fs.ErrNotExist.
var ErrNoRoute = fmt.Errorf("%w: nothing is served here", fs.ErrNotExist)

// Negotiate picks the format for an Accept header. Only an exact image/avif or image/webp with a
// q above 0 counts: image/* and */* come from browsers that decode neither. A q=0 entry refuses
// its type whatever other entries say. Between AVIF and WebP the higher q wins, AVIF on a tie.
// A q that is not 0..1 with at most three decimals makes its entry ignored. A missing, empty,
// unknown or over-long (MaxAccept) header, or one with a byte other than tab and printable
// ASCII, gets the original's format.
func Negotiate(accept string) Format {
	if len(accept) > MaxAccept || strings.ContainsFunc(accept, func(r rune) bool { return r != '\t' && (r < ' ' || r > '~') }) {
		return Original
	}
	avif, webp := -1.0, -1.0
	for r := range strings.SplitSeq(accept, ",") {
		params := strings.Split(r, ";")
		var best *float64
		switch lowerASCII(trim(params[0])) {
		case "image/avif":
			best = &avif
		case "image/webp":
			best = &webp
		default:
			continue
		}
		v, ok := quality(params[1:])
		if !ok || *best == 0 {
			continue
		}
		if v == 0 {
			*best = 0
		} else {
			*best = max(*best, v)
		}
	}
	switch {
	case avif > 0 && avif >= webp:
		return AVIF
	case webp > 0:
		return WebP
	}
	return Original
}

// quality reads q from a media range's parameters: 1 when absent, ok false when malformed.
func quality(params []string) (float64, bool) {
	v := 1.0
	for _, p := range params {
		name, val, ok := strings.Cut(trim(p), "=")
		if !ok || lowerASCII(trim(name)) != "q" {
			continue
		}
		var ok2 bool
		if v, ok2 = parseQ(trim(val)); !ok2 {
			return 0, false
		}
	}
	return v, true
}

// parseQ reads RFC 9110's qvalue: "0" ["." 0*3DIGIT] or "1" ["." 0*3("0")].
func parseQ(s string) (float64, bool) {
	if s == "" || len(s) > 5 || (s[0] != '0' && s[0] != '1') {
		return 0, false
	}
	if len(s) > 1 && s[1] != '.' {
		return 0, false
	}
	frac := 0
	if len(s) > 2 {
		for _, c := range s[2:] {
			if c < '0' || c > '9' || (s[0] == '1' && c != '0') {
				return 0, false
			}
			frac = frac*10 + int(c-'0')
		}
		for range 5 - len(s) {
			frac *= 10
		}
	}
	return float64(s[0]-'0') + float64(frac)/1000, true
}

// lowerASCII lowers A-Z only, as the function does (Unicode case mapping differs between Go and
// JavaScript: U+0130 lowers to "i" in Go but not in JavaScript).
func lowerASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// trim drops the spaces and tabs around a header element (OWS), as the function's trim() does
// for these bytes.
func trim(s string) string { return strings.Trim(s, " \t") }

// ParseFormat reads an explicit ?format= value, case-insensitively.
func ParseFormat(v string) (Format, error) {
	switch f := Format(lowerASCII(v)); f {
	case AVIF, WebP, Original:
		return f, nil
	}
	return "", fmt.Errorf("%w: format %q: want avif, webp or original", size.ErrMalformed, clip(v))
}

// unreserved reports whether c stays as it is in an encoded key ('/' is handled apart).
func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_'
}

const hexDigits = "0123456789ABCDEF"

// EncodeKey writes key in the origin path's form: A-Z a-z 0-9 - . _ and / as they are, every
// other byte as ~XX. It does not validate key; Route and DecodeKey do.
func EncodeKey(key string) string {
	var b strings.Builder
	b.Grow(len(key))
	for i := 0; i < len(key); i++ {
		c := key[i]
		if unreserved(c) || c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('~')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// DecodeKey reads an encoded key back, accepting only the canonical form EncodeKey writes (upper
// case hex, no escape of a byte that is written as itself), and checks the key as variantpath.CheckPath
// does. Errors wrap size.ErrMalformed.
func DecodeKey(enc string) (string, error) {
	b := make([]byte, 0, len(enc))
	for i := 0; i < len(enc); i++ {
		c := enc[i]
		switch {
		case unreserved(c) || c == '/':
			b = append(b, c)
		case c == '~' && i+2 < len(enc) && upperHex(enc[i+1]) >= 0 && upperHex(enc[i+2]) >= 0:
			v := byte(upperHex(enc[i+1])<<4 | upperHex(enc[i+2]))
			if unreserved(v) || v == '/' {
				return "", fmt.Errorf("%w: encoded key escapes %q, which is written as itself", size.ErrMalformed, v)
			}
			b = append(b, v)
			i += 2
		default:
			return "", fmt.Errorf("%w: encoded key has %q at byte %d", size.ErrMalformed, c, i)
		}
	}
	key := string(b)
	if err := variantpath.CheckPath(key); err != nil {
		return "", err
	}
	return key, nil
}

func upperHex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// Request is one origin request: a variant (Format and Size set) or metadata (Meta set).
type Request struct {
	Meta   bool
	Format Format
	Size   size.Size
	Key    string
}

// OriginPath is the path the edge sends to the origin for r.
func (r Request) OriginPath() string {
	if r.Meta {
		return "/" + MetaPrefix + "/" + EncodeKey(r.Key)
	}
	return "/" + string(r.Format) + "/" + r.Size.String() + "/" + EncodeKey(r.Key)
}

// ParseOrigin reads an origin path back into its Request, refusing any spelling that
// OriginPath would not write. The allowlist is not consulted: the origin checks it.
func ParseOrigin(p string) (Request, error) {
	rest, ok := strings.CutPrefix(p, "/")
	first, rest, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 {
		return Request{}, fmt.Errorf("%w: want /<format>/<W>x<H>/<key> or /meta/<key>", size.ErrMalformed)
	}
	var r Request
	if first == MetaPrefix {
		r.Meta = true
	} else {
		switch f := Format(first); f {
		case AVIF, WebP, Original:
			r.Format = f
		default:
			return Request{}, fmt.Errorf("%w: format %q: want avif, webp or original", size.ErrMalformed, clip(first))
		}
		sz, k, ok := strings.Cut(rest, "/")
		if !ok {
			return Request{}, fmt.Errorf("%w: want /<format>/<W>x<H>/<key>", size.ErrMalformed)
		}
		s, err := size.Parse(sz)
		if err != nil {
			return Request{}, err
		}
		r.Size, rest = s, k
	}
	key, err := DecodeKey(rest)
	if err != nil {
		return Request{}, err
	}
	r.Key = key
	return r, nil
}

// Choose is the format of a variant request: an explicit ?format= (at most one) wins, else
// Negotiate(accept).
func Choose(query url.Values, accept string) (Format, error) {
	switch fs := query["format"]; len(fs) {
	case 0:
		return Negotiate(accept), nil
	case 1:
		return ParseFormat(fs[0])
	default:
		return "", fmt.Errorf("%w: format given %d times", size.ErrMalformed, len(fs))
	}
}

// Route makes the edge's decision for a viewer request, as the CloudFront Function does:
// rawPath is the path as sent (percent-encoded: url.URL.EscapedPath, or the raw request line),
// query its query, accept its first Accept header. Percent-escapes are decoded once and
// strictly; '+' is a plus. Errors wrap size.ErrMalformed (400) or fs.ErrNotExist (404).
func Route(rawPath string, query url.Values, accept string, allowed size.Allowlist) (Request, error) {
	rest, ok := strings.CutPrefix(rawPath, "/")
	first, rawKey, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 {
		return Request{}, ErrNoRoute
	}
	var r Request
	if first == MetaPrefix {
		r.Meta = true
	} else {
		s, err := size.Parse(first)
		if err != nil {
			return Request{}, err
		}
		if !allowed.Allows(s) {
			return Request{}, fmt.Errorf("%w: %s", ErrSizeNotAllowed, s)
		}
		r.Size = s
		if r.Format, err = Choose(query, accept); err != nil {
			return Request{}, err
		}
	}
	key, err := decodeViewer(rawKey)
	if err != nil {
		return Request{}, err
	}
	if err := variantpath.CheckPath(key); err != nil {
		return Request{}, err
	}
	r.Key = key
	return r, nil
}

// decodeViewer percent-decodes a viewer's path once: only printable ASCII may come raw, every
// % starts two hex digits, and the result must be UTF-8 (variantpath.CheckPath checks that last part).
func decodeViewer(raw string) (string, error) {
	b := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c <= ' ' || c >= 0x7f:
			return "", fmt.Errorf("%w: raw byte %#x in the path; percent-encode it", size.ErrMalformed, c)
		case c != '%':
			b = append(b, c)
		case i+2 < len(raw) && anyHex(raw[i+1]) >= 0 && anyHex(raw[i+2]) >= 0:
			b = append(b, byte(anyHex(raw[i+1])<<4|anyHex(raw[i+2])))
			i += 2
		default:
			return "", fmt.Errorf("%w: malformed percent-escape at byte %d", size.ErrMalformed, i)
		}
	}
	return string(b), nil
}

func anyHex(c byte) int {
	if 'a' <= c && c <= 'f' {
		return int(c-'a') + 10
	}
	return upperHex(c)
}

// clip keeps error messages short whatever the client sent.
func clip(v string) string {
	if len(v) > 32 {
		return v[:32] + "..."
	}
	return v
}

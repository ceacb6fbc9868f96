// Package focus decides where a crop goes: the focal point of an original (set by the uploader
// as S3 metadata, or found by analysing the image) and, from it, the crop box for each target
// aspect ratio. It is pure: no I/O, no libvips.
//
// Every coordinate is in the UPRIGHT image, EXIF orientation already applied, since that is
// what the uploader sees and what the page shows.
package focus

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// MetadataKey is the S3 user-metadata key of the focal point, as the SDK returns it (without
// its "x-amz-meta-" prefix; S3 keeps user-metadata keys in lower case). The uploader sets
// "x-amz-meta-focal-point: 0.32,0.41".
const MetadataKey = "focal-point"

// Source says where a focal point came from. Its values are the ones the /meta document shows.
type Source string

const (
	FromMetadata  Source = "metadata"  // the uploader's x-amz-meta-focal-point
	FromAttention Source = "attention" // libvips' smartcrop attention centre
	FromEntropy   Source = "entropy"   // libvips' smartcrop entropy box, by its centre
	FromCentre    Source = "centre"    // none of the above: the middle of the image
)

// Point is a focal point as fractions of the upright image: X from the left edge, Y from the
// top, each in [0, 1].
type Point struct{ X, Y float64 }

// Centre is the middle of the image, the focal point of a centre crop.
var Centre = Point{0.5, 0.5}

// String is the metadata form, "0.32,0.41", rounded to 6 decimals (what Parse reads back).
func (p Point) String() string { return decimal(p.X) + "," + decimal(p.Y) }

func decimal(f float64) string {
	return strconv.FormatFloat(math.Round(min(max(f, 0), 1)*1e6)/1e6, 'f', -1, 64)
}

// ErrBadPoint is wrapped by every Parse error. A bad focal point is the uploader's mistake, not
// the viewer's: the caller logs the reason and crops as if there were none (never a 4xx or
// 5xx for the image).
var ErrBadPoint = errors.New("bad focal point")

// maxValueBytes bounds the value Parse looks at, so that the reason it logs stays short.
const maxValueBytes = 32

// Parse reads "X,Y": two decimal fractions from 0 to 1, separated by one comma, each written as
// 0, 1, or a leading "0." or "1." then 1 to 6 digits (0.5, 0.32, 1.0; not .5, 5e-1, +0.5,
// 50%, NaN or 1.01). Spaces around each number are allowed, nothing else.
func Parse(v string) (Point, error) {
	if len(v) > maxValueBytes {
		return Point{}, fmt.Errorf("%w: %d bytes, at most %d", ErrBadPoint, len(v), maxValueBytes)
	}
	xs, ys, ok := strings.Cut(v, ",")
	if !ok {
		return Point{}, fmt.Errorf("%w: %q is not X,Y", ErrBadPoint, clip(v))
	}
	x, errX := fraction(xs)
	y, errY := fraction(ys)
	if errX != nil || errY != nil {
		return Point{}, fmt.Errorf("%w: %q: want X,Y as fractions of the upright image from 0 to 1, e.g. 0.32,0.41", ErrBadPoint, clip(v))
	}
	return Point{x, y}, nil
}

// clip keeps a logged value short: at most 20 bytes, then "...".
func clip(v string) string {
	if len(v) > 20 {
		return v[:20] + "..."
	}
	return v
}

func fraction(v string) (float64, error) {
	v = strings.Trim(v, " ")
	whole, dec, hasDot := strings.Cut(v, ".")
	if whole != "0" && whole != "1" {
		return 0, ErrBadPoint
	}
	if hasDot {
		if len(dec) == 0 || len(dec) > 6 {
			return 0, ErrBadPoint
		}
		for _, c := range dec {
			if c < '0' || c > '9' {
				return 0, ErrBadPoint
			}
		}
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f > 1 {
		return 0, ErrBadPoint
	}
	return f, nil
}

// FromObjectMetadata finds the focal point in an original's S3 user metadata (keys as the SDK
// returns them; matched without regard to case, since some clients keep the case they sent).
// ok is false when there is none; err, with ok false, when there is one that does not parse:
// the caller logs err and goes on without it.
func FromObjectMetadata(md map[string]string) (p Point, ok bool, err error) {
	v, found := md[MetadataKey]
	for k, kv := range md {
		if found {
			break
		}
		if strings.EqualFold(k, MetadataKey) || strings.EqualFold(k, "x-amz-meta-"+MetadataKey) {
			v, found = kv, true
		}
	}
	if !found {
		return Point{}, false, nil
	}
	if p, err = Parse(v); err != nil {
		return Point{}, false, err
	}
	return p, true, nil
}

// FromPixel turns a pixel position found by analysis (such as smartcrop's attention centre) in
// an upright image of w x h into a focal point: the pixel's centre as fractions, clamped into
// the image.
func FromPixel(x, y, w, h int) Point {
	if w <= 0 || h <= 0 {
		return Centre
	}
	fx := (float64(min(max(x, 0), w-1)) + 0.5) / float64(w)
	fy := (float64(min(max(y, 0), h-1)) + 0.5) / float64(h)
	return Point{fx, fy}
}

// Box is a crop box in pixels of the upright image: its top-left corner and its size.
type Box struct{ X, Y, W, H int }

func (b Box) String() string { return fmt.Sprintf("%dx%d+%d+%d", b.W, b.H, b.X, b.Y) }

// Contains reports whether r (x0, y0 inclusive, x1, y1 exclusive) lies inside the box.
func (b Box) Contains(x0, y0, x1, y1 int) bool {
	return x0 >= b.X && y0 >= b.Y && x1 <= b.X+b.W && y1 <= b.Y+b.H
}

// Crop is the crop box for an output of aspect ratio tw:th (any size of it: only the ratio
// counts) from an upright image of w x h, for focal point p: the largest box of that ratio
// inside the image (its width or height rounded to the nearest pixel, at least 1), centred on
// the focal point (to the nearest pixel) as far as the edges allow.
//
// Every size of one ratio gets the same box, so the 200x150 variant is the 800x600 one scaled
// down. With p = Centre the box is the one a centre crop makes: (w-W)/2 and (h-H)/2, rounded
// down, as libvips' centre crop.
//
// Zero or negative dimensions give the whole image (an empty box for an empty image); a point
// outside [0, 1] is clamped.
func Crop(w, h, tw, th int, p Point) Box {
	if w <= 0 || h <= 0 {
		return Box{0, 0, max(w, 0), max(h, 0)}
	}
	if tw <= 0 || th <= 0 {
		return Box{0, 0, w, h}
	}
	// In 64 bits the products cannot overflow for any int32-sized dimensions.
	W, H, TW, TH := int64(w), int64(h), int64(tw), int64(th)
	bw, bh := W, H
	if W*TH > H*TW { // the image is wider than the target: full height, width cut
		bw = min(max((2*H*TW+TH)/(2*TH), 1), W) // round(H*TW/TH)
	} else {
		bh = min(max((2*W*TH+TW)/(2*TW), 1), H) // round(W*TH/TW)
	}
	return Box{
		X: place(W, bw, p.X),
		Y: place(H, bh, p.Y),
		W: int(bw),
		H: int(bh),
	}
}

// place is the offset of a span of length b inside n whose centre is as close to f*n as the
// ends allow: f*n - b/2 rounded to the nearest pixel, halves down (so that the centre gives
// libvips' (n-b)/2, and the span always holds f*n), clamped to [0, n-b].
func place(n, b int64, f float64) int {
	if math.IsNaN(f) {
		f = 0.5
	}
	f = min(max(f, 0), 1)
	off := int64(math.Ceil(f*float64(n) - float64(b)/2 - 0.5))
	return int(min(max(off, 0), n-b))
}

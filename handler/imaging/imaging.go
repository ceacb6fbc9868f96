// Package imaging is the only package that touches libvips: it guards the input, then crops and
// resizes an original to exact sizes and encodes the result.
package imaging

import (
	"fmt"

	"github.com/imgorigin/imgorigin/handler"
	"github.com/imgorigin/imgorigin/handler/format"
	"github.com/imgorigin/imgorigin/handler/size"
)

// The errors Resize wraps are the handler's: ErrUnsupported is a 415, ErrInvalid and
// ErrTooLarge are 422s.
var (
	ErrUnsupported = handler.ErrUnsupported
	ErrInvalid     = handler.ErrInvalid
	ErrTooLarge    = handler.ErrTooLarge
)

var _ handler.Resizer = (*Resizer)(nil)

// Options are the encoder settings and the limits checked before decoding.
type Options struct {
	Quality   int   // JPEG and WebP quality, 1..100 (AVIF uses a matching lower value)
	MaxBytes  int64 // largest original in bytes
	MaxPixels int64 // largest declared width*height
	MaxFrames int   // most frames (pages) in an animation
}

// Resizer makes variants with libvips. It is safe for concurrent use.
type Resizer struct{ opt Options }

// New starts libvips (once per process) and returns a Resizer.
func New(opt Options) *Resizer {
	setup()
	return &Resizer{opt: opt}
}

// Resize decodes src once and returns one variant per size, in order: exactly W x H, centre-
// cropped to the size's aspect, orientation applied, sRGB, metadata stripped, in the format of
// the original (HEIC becomes JPEG).
func (r *Resizer) Resize(src []byte, sizes []size.Size) ([]handler.Variant, error) {
	if len(sizes) == 0 {
		return nil, nil
	}
	in, err := r.Check(src)
	if err != nil {
		return nil, err
	}
	out := in.Output()
	bodies, err := resize(src, out, r.opt.Quality, sizes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	vs := make([]handler.Variant, len(sizes))
	for i, s := range sizes {
		vs[i] = handler.Variant{Size: s, Body: bodies[i], ContentType: out.ContentType()}
	}
	return vs, nil
}

// Check applies the guards, cheapest first, and returns the sniffed format: byte size, then the
// magic bytes, then the dimensions and frame count the header declares. Nothing is decoded.
func (r *Resizer) Check(src []byte) (format.Format, error) {
	if len(src) == 0 {
		return format.Unknown, fmt.Errorf("%w: empty file", ErrUnsupported)
	}
	if r.opt.MaxBytes > 0 && int64(len(src)) > r.opt.MaxBytes {
		return format.Unknown, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(src), r.opt.MaxBytes)
	}
	f := format.Sniff(src)
	if f == format.Unknown {
		return f, ErrUnsupported
	}
	if !format.Complete(f, src) {
		return f, fmt.Errorf("%w: truncated %s", ErrInvalid, f)
	}
	h, err := readHeader(src)
	if err != nil {
		return f, fmt.Errorf("%w: %s header: %v", ErrInvalid, f, err)
	}
	if h.Width <= 0 || h.Height <= 0 {
		return f, fmt.Errorf("%w: %s declares %dx%d", ErrInvalid, f, h.Width, h.Height)
	}
	if r.opt.MaxPixels > 0 && int64(h.Width)*int64(h.Height) > r.opt.MaxPixels {
		return f, fmt.Errorf("%w: %dx%d pixels, limit %d", ErrTooLarge, h.Width, h.Height, r.opt.MaxPixels)
	}
	if r.opt.MaxFrames > 0 && h.Pages > r.opt.MaxFrames {
		return f, fmt.Errorf("%w: %d frames, limit %d", ErrTooLarge, h.Pages, r.opt.MaxFrames)
	}
	return f, nil
}

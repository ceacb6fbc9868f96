// Package imaging is the only package that touches libvips: it guards the input, then crops and
// resizes an original to exact sizes and encodes the result.
package imaging

import (
	"fmt"
	"math/bits"

	"github.com/imgorigin/imgorigin/handler"
	"github.com/imgorigin/imgorigin/handler/focus"
	"github.com/imgorigin/imgorigin/handler/format"
	"github.com/imgorigin/imgorigin/handler/size"
	"github.com/imgorigin/imgorigin/handler/variantpath"
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
	// Crop is the crop policy when a job brings no focal point: focus.FromCentre (also "")
	// cuts the middle, FromAttention and FromEntropy run libvips' smartcrop once per original.
	Crop focus.Source
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
	in, err := r.inspect(src)
	if err != nil {
		return nil, err
	}
	return r.makePlanned(src, in, handler.TargetsOf(variantpath.Original, sizes...), Targets(in, sizes, r.opt.Quality), nil)
}

// checkPlan refuses plans that would make libvips enlarge the whole original before it crops.
// To fill a target, libvips resizes the original until it covers the target, then cuts the
// centre out: for an original of extreme aspect ratio that intermediate is enormous (a 10000x1
// JPEG at 800x600 means 6,000,000x600 pixels from a 1 KB file; docs/PERFORMANCE.md has what
// that cost). The plan's largest intermediate, in the upright orientation, is held to
// MaxPixels like the original, whatever the strategy, so that a size gets the same answer
// alone and among the pre-warm sizes.
func (r *Resizer) checkPlan(in Source, p Plan) error {
	if r.opt.MaxPixels > 0 && p.Largest > float64(r.opt.MaxPixels) {
		uw, uh := in.Upright()
		return fmt.Errorf("%w: %s %dx%d at %v needs a %.0f-pixel intermediate, limit %d",
			ErrTooLarge, in.Format, uw, uh, p.LargestAt, p.Largest, r.opt.MaxPixels)
	}
	return nil
}

// Check applies the guards, cheapest first, and returns the sniffed format: byte size, then the
// magic bytes, then the dimensions and frame count the header declares, read in Go from every
// place the format declares them (format.Scan: every JPEG SOF, every GIF frame descriptor,
// every WebP frame, every HEIF ispe) before libvips sees the bytes, then whether the file runs
// to its end marker, then libvips' own reading of the header, held to the same limits. Nothing
// is decoded.
func (r *Resizer) Check(src []byte) (format.Format, error) {
	in, err := r.inspect(src)
	return in.Format, err
}

// inspect is Check, returning what the plan is made from: the file is walked once in Go and
// its header read once by libvips.
func (r *Resizer) inspect(src []byte) (Source, error) {
	if len(src) == 0 {
		return Source{}, fmt.Errorf("%w: empty file", ErrUnsupported)
	}
	if r.opt.MaxBytes > 0 && int64(len(src)) > r.opt.MaxBytes {
		return Source{}, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(src), r.opt.MaxBytes)
	}
	f := format.Sniff(src)
	if f == format.Unknown {
		return Source{}, ErrUnsupported
	}
	in := Source{Format: f}
	// limits holds w x h to the pixel limit (without overflow) and frames to MaxFrames; 0 is no
	// limit. JPEG and PNG decode as a stream of rows; HEIC, AVIF, GIF and WebP decode whole, at
	// several bytes a pixel (docs/PERFORMANCE.md has the peaks), so they are held to half the
	// limit.
	maxPixels := r.opt.MaxPixels
	if f != format.JPEG && f != format.PNG {
		maxPixels /= 2
	}
	limits := func(what string, w, h, frames int) error {
		if hi, lo := bits.Mul64(uint64(w), uint64(h)); maxPixels > 0 && (hi != 0 || lo > uint64(maxPixels)) {
			return fmt.Errorf("%w: %s %s %dx%d pixels, limit %d", ErrTooLarge, f, what, w, h, maxPixels)
		}
		if r.opt.MaxFrames > 0 && frames > r.opt.MaxFrames {
			return fmt.Errorf("%w: %s %s %d frames, limit %d", ErrTooLarge, f, what, frames, r.opt.MaxFrames)
		}
		return nil
	}
	d, err := format.Scan(f, src)
	if err != nil {
		return in, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := limits("declares", d.W, d.H, d.Frames); err != nil {
		return in, err
	}
	if !d.Complete {
		return in, fmt.Errorf("%w: truncated %s", ErrInvalid, f)
	}
	hd, err := readHeader(src)
	if err != nil {
		return in, fmt.Errorf("%w: %s header: %v", ErrInvalid, f, err)
	}
	if hd.Width <= 0 || hd.Height <= 0 {
		return in, fmt.Errorf("%w: %s: libvips reads %dx%d", ErrInvalid, f, hd.Width, hd.Height)
	}
	if err := limits("libvips reads", hd.Width, hd.Height, hd.Pages); err != nil {
		return in, err
	}
	o := hd.Orientation
	if o < 1 || o > 8 {
		o = 1
	}
	in.Width, in.Height, in.Orientation = hd.Width, hd.Height, o
	in.Alpha, in.ICC, in.CMYK = hd.Alpha, hd.ICC, hd.CMYK
	return in, nil
}

package format

import (
	"errors"
	"fmt"
)

// ErrHeader is wrapped by every error of Header: the bytes do not parse as the format's header.
var ErrHeader = errors.New("unreadable header")

// Declared is what an image file says about itself before any pixel is decoded (see Scan).
type Declared struct {
	W, H     int  // the largest extent declared anywhere, at least 1
	Frames   int  // frames (pages), at least 1
	Complete bool // the file runs to its format's end (see Complete)
}

// Header reads the dimensions and frame count that b, sniffed as f, declares, without decoding
// any pixel data. It is Scan without the completeness.
func Header(f Format, b []byte) (w, h, frames int, err error) {
	d, err := Scan(f, b)
	return d.W, d.H, d.Frames, err
}

// Scan walks b, sniffed as f, once: the dimensions and frame count it declares and whether it
// runs to its end. It looks at every place the format declares a size, not only the first, and
// returns the largest extent declared anywhere (a frame placed at x+w beyond the logical screen
// widens it), so that W*H bounds what a decoder would allocate for one frame:
//
//   - JPEG: every SOFn marker up to EOI, walking segments and skipping entropy-coded data the
//     way libjpeg finds markers; frames is 1.
//   - PNG: IHDR, plus every APNG fcTL region; every chunk length is checked against 2^31-1 and
//     the bytes that remain, up to IEND; frames is 1 (libvips reads an APNG as a still image).
//   - GIF: the logical screen and every image descriptor's position and size; frames counts
//     the image descriptors. Extension and image data sub-blocks are skipped, never decompressed.
//   - WebP: the VP8, VP8L and VP8X sizes, and every ANMF frame's offset and size (and the
//     bitstream inside it); frames counts ANMF chunks (1 for a still image).
//   - AVIF/HEIC: every ispe property in meta/iprp/ipco (the largest wins); frames is 1.
//
// Errors wrap ErrHeader, and the Declared is zero with them.
func Scan(f Format, b []byte) (Declared, error) {
	var d dims
	var err error
	switch f {
	case JPEG:
		err = d.jpeg(b)
	case PNG:
		err = d.png(b)
	case GIF:
		err = d.gif(b)
	case WebP:
		err = d.webp(b)
	case AVIF, HEIC:
		err = d.isobmff(b)
	default:
		err = errors.New("not an image format")
	}
	if err == nil && (d.w <= 0 || d.h <= 0) {
		err = fmt.Errorf("declares %dx%d", d.w, d.h)
	}
	if err != nil {
		return Declared{}, fmt.Errorf("%w: %s: %w", ErrHeader, f, err)
	}
	return Declared{W: d.w, H: d.h, Frames: max(d.frames, 1), Complete: f != JPEG || d.eoi}, nil
}

// dims accumulates the largest declared extent and counts frames.
type dims struct {
	w, h   int
	frames int
	eoi    bool // a JPEG's end-of-image marker was reached
}

// extend widens the extent to cover a w x h rectangle at x, y.
func (d *dims) extend(x, y, w, h int) {
	d.w = max(d.w, x+w)
	d.h = max(d.h, y+h)
}

var errTruncated = errors.New("truncated")

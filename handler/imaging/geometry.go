package imaging

import (
	"math"

	"github.com/imgorigin/imgorigin/handler/size"
)

// The plan's arithmetic: areas, cover scales, JPEG shrink factors, aspect boxes and the mapping
// of upright boxes to stored pixels for each EXIF orientation.

func area(s size.Size) int64 { return int64(s.W) * int64(s.H) }

// coverScale is the scale at which r just covers s.
func coverScale(s size.Size, r Rect) float64 {
	return max(float64(s.W)/float64(r.W), float64(s.H)/float64(r.H))
}

// dctShrink is the largest libjpeg DCT scaling (1/1, 1/2, 1/4, 1/8) that still leaves at least
// scale of the original's pixels, so that what follows only ever reduces. libvips' thumbnail
// picks one step less ("leave at least a factor of two for the final resize"), which decodes
// 4x the pixels for no visible gain (docs/PERFORMANCE.md): libjpeg's scaled IDCT is a proper
// low-pass, not a block average. sharp and imgproxy shrink on load as far as this does.
func dctShrink(scale float64) int {
	shrink := 1
	for shrink < 8 && scale*float64(shrink)*2 <= 1.0 {
		shrink *= 2
	}
	return shrink
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// aspectBox is the largest box of aspect w:h inside r, centred (libvips' centre crop rounds
// the same way).
func aspectBox(r Rect, w, h int) Rect {
	cw, ch := r.W, r.H
	if int64(r.W)*int64(h) > int64(r.H)*int64(w) {
		cw = max(1, int(math.RoundToEven(float64(r.H)*float64(w)/float64(h))))
	} else {
		ch = max(1, int(math.RoundToEven(float64(r.W)*float64(h)/float64(w))))
	}
	return Rect{r.X + (r.W-cw)/2, r.Y + (r.H-ch)/2, cw, ch}
}

// scaleDown maps a box in original pixels to an image shrunk by s (w x h), keeping every pixel
// the box touches.
func scaleDown(r Rect, s, w, h int) Rect {
	x0, y0 := r.X/s, r.Y/s
	x1, y1 := min(ceilDiv(r.X+r.W, s), w), min(ceilDiv(r.Y+r.H, s), h)
	return Rect{x0, y0, max(x1-x0, 1), max(y1-y0, 1)}
}

// swapsAxes reports whether EXIF orientation o shows the stored image turned a quarter (5-8):
// the upright width is the stored height.
func swapsAxes(o int) bool { return o >= 5 }

// toStored maps a box in the upright image to the stored image of w x h (before orientation o
// is applied). EXIF orientation o says how the stored image is shown: 2 mirrored, 3 turned
// 180°, 4 flipped, 5 transposed, 6 turned 90° clockwise, 7 transversed, 8 turned 90°
// anticlockwise.
func toStored(r Rect, o, w, h int) Rect {
	switch o {
	case 2:
		return Rect{w - r.X - r.W, r.Y, r.W, r.H}
	case 3:
		return Rect{w - r.X - r.W, h - r.Y - r.H, r.W, r.H}
	case 4:
		return Rect{r.X, h - r.Y - r.H, r.W, r.H}
	case 5:
		return Rect{r.Y, r.X, r.H, r.W}
	case 6:
		return Rect{r.Y, h - r.X - r.W, r.H, r.W}
	case 7:
		return Rect{w - r.Y - r.H, h - r.X - r.W, r.H, r.W}
	case 8:
		return Rect{w - r.Y - r.H, r.X, r.H, r.W}
	}
	return r
}

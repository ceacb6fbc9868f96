package meta

import (
	"errors"
	"fmt"
	"image"
	"image/color"

	"github.com/bbrks/go-blurhash"

	"github.com/imgorigin/imgorigin/handler/focus"
)

// ThumbWidth is the width of the small sRGB copy the placeholders are computed from (the
// height follows the aspect ratio). BlurHash keeps only 4x3 cosine components, so more pixels
// change nothing a page can see, and encoding costs pixels x components.
const ThumbWidth = 32

// maxThumbPixels refuses a thumbnail that is not one: the encoder would spend seconds on it.
const maxThumbPixels = 256 * 256

// ErrNoPixels is returned for an empty or oversized thumbnail.
var ErrNoPixels = errors.New("placeholder: no thumbnail")

// Placeholder is the BlurHash of img (a thumbnail, at most 256x256, of the upright image;
// transparency flattened on white, as the JPEG variants are): 4 components along the longer
// side, 3 along the shorter, about 28 characters.
func Placeholder(img image.Image) (string, error) {
	r := img.Bounds()
	if r.Empty() || r.Dx()*r.Dy() > maxThumbPixels {
		return "", fmt.Errorf("%w: %dx%d", ErrNoPixels, r.Dx(), r.Dy())
	}
	nx, ny := 4, 3
	if r.Dy() > r.Dx() {
		nx, ny = 3, 4
	}
	return blurhash.Encode(nx, ny, flatten(img, r))
}

// PlaceholderOf is the placeholder of crop box b (in pixels of the upright image of w x h) of
// thumb, a thumbnail of that image: what the page paints before a variant of b's aspect ratio
// arrives. The box is scaled into the thumbnail, at least one pixel each way.
func PlaceholderOf(thumb image.Image, b focus.Box, w, h int) (string, error) {
	r := thumb.Bounds()
	if w <= 0 || h <= 0 || r.Empty() {
		return "", fmt.Errorf("%w: %dx%d thumbnail of %dx%d", ErrNoPixels, r.Dx(), r.Dy(), w, h)
	}
	sx, sy := float64(r.Dx())/float64(w), float64(r.Dy())/float64(h)
	x0, y0 := int(float64(b.X)*sx), int(float64(b.Y)*sy)
	x1, y1 := int(float64(b.X+b.W)*sx+0.5), int(float64(b.Y+b.H)*sy+0.5)
	x0, y0 = min(max(x0, 0), r.Dx()-1), min(max(y0, 0), r.Dy()-1)
	x1, y1 = min(max(x1, x0+1), r.Dx()), min(max(y1, y0+1), r.Dy())
	return Placeholder(flatten(thumb, image.Rect(r.Min.X+x0, r.Min.Y+y0, r.Min.X+x1, r.Min.Y+y1)))
}

// flatten copies the part r of img to a new opaque image at the origin (the encoder reads
// pixels from (0,0) whatever the bounds say), alpha composited on white.
func flatten(img image.Image, r image.Rectangle) *image.NRGBA {
	out := image.NewNRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := 0; y < r.Dy(); y++ {
		for x := 0; x < r.Dx(); x++ {
			// premultiplied 16-bit; over white: c + (1-a)*white
			cr, cg, cb, ca := img.At(r.Min.X+x, r.Min.Y+y).RGBA()
			w := 0xffff - ca
			out.SetNRGBA(x, y, color.NRGBA{uint8((cr + w) >> 8), uint8((cg + w) >> 8), uint8((cb + w) >> 8), 0xff})
		}
	}
	return out
}

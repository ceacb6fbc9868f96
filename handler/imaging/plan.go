package imaging

import (
	"errors"
	"fmt"
	"math"

	"github.com/imgorigin/imgorigin/handler/format"
	"github.com/imgorigin/imgorigin/handler/size"
)

// Every image decision is made here, in Go, from the header read once (Source) and the
// targets: which loader, how far to shrink on load, what to cut before anything is resampled,
// in which order the targets are made and from what, how each is encoded, and how large the
// largest intermediate gets. vips.c only executes a Plan.

// Source is what the guards read from the original's header, once (Resizer.inspect).
type Source struct {
	Format        format.Format
	Width, Height int // as stored, before the EXIF orientation is applied
	Orientation   int // EXIF orientation 1..8 (1: stored upright)
	Alpha         bool
	ICC           bool // an embedded colour profile: converted to sRGB
	CMYK          bool
}

// Upright is the size the original is seen at: width and height swap for orientations 5-8.
func (s Source) Upright() (w, h int) {
	if swapsAxes(s.Orientation) {
		return s.Height, s.Width
	}
	return s.Width, s.Height
}

// Rect is a box of pixels: X, Y its top-left corner. The zero Rect is "none".
type Rect struct{ X, Y, W, H int }

func (r Rect) String() string { return fmt.Sprintf("%dx%d+%d+%d", r.W, r.H, r.X, r.Y) }

// Target is one variant to make: its exact size and how it is encoded.
type Target struct {
	Size    size.Size
	Encoder Encoder
}

// Encoder is the output format and every setting its libvips saver is called with. Metadata
// is always stripped.
type Encoder struct {
	Format      format.Format // JPEG, PNG, GIF, WebP or AVIF
	Quality     int           // JPEG, WebP, AVIF "Q"
	Effort      int           // AVIF: CPU effort 0 (fast) .. 9
	Compression int           // PNG: zlib level
	FilterAll   bool          // PNG: libpng's adaptive row filters
	Progressive bool          // JPEG: interlaced
	Flatten     bool          // alpha is flattened onto white (JPEG has none)
}

// avifQualityOffset is how far AVIF's Q sits below JPEG's for equal mean SSIM.
const avifQualityOffset = 17

// EncoderFor is the encoder for output format f at quality (1..100, JPEG's scale) of a source
// with or without alpha.
func EncoderFor(f format.Format, quality int, alpha bool) Encoder {
	e := Encoder{Format: f, Quality: quality}
	switch f {
	case format.JPEG:
		e.Progressive, e.Flatten = true, alpha
	case format.PNG:
		// zlib level 1 with adaptive row filters: smaller and faster than libvips' default
		// (level 6, no filter) on photographs (docs/PERFORMANCE.md).
		e.Quality, e.Compression, e.FilterAll = 0, 1, true
	case format.GIF:
		e.Quality = 0
	case format.WebP:
		// WebP at JPEG's Q (libwebp's default effort 4) matched JPEG's mean SSIM in the
		// measurements of docs/EDGE.md (docs/PERFORMANCE.md has the table).
	case format.AVIF:
		// AV1 matches JPEG's mean SSIM at a lower Q: 63 for JPEG's 80 (docs/EDGE.md). Effort
		// 0: efforts 1 and 2 save a few percent more bytes for several times the encode,
		// which a miss cannot afford; the same offset is kept at other qualities.
		e.Quality = max(1, quality-avifQualityOffset)
		e.Effort = 0
	}
	return e
}

// Targets are the default targets for src: every size in the original's format (HEIC becomes
// JPEG), at quality.
func Targets(src Source, sizes []size.Size, quality int) []Target {
	enc := EncoderFor(src.Format.Output(), quality, src.Alpha)
	ts := make([]Target, len(sizes))
	for i, s := range sizes {
		ts[i] = Target{Size: s, Encoder: enc}
	}
	return ts
}

// Loader is how the original is read and turned into the plan's first image.
type Loader int

const (
	// LoadJPEG: libjpeg with DCT scaling (Plan.Shrink), read as a stream; then Cut, then
	// thumbnail to W x H.
	LoadJPEG Loader = iota + 1
	// LoadPNG: read as a stream; then Cut, a box shrink by Plan.BoxShrink, thumbnail to W x H.
	LoadPNG
	// LoadThumbnail: vips_thumbnail_buffer straight to W x H (WebP and HEIF shrink on load
	// there; GIF). No Cut.
	LoadThumbnail
	// LoadCMYK: libjpeg with DCT scaling, converted to sRGB through the embedded profile (or
	// libvips' CMYK profile), then Cut. Not resampled: the image stays in stored orientation
	// and every target is cut from it.
	LoadCMYK
)

// Strategy is how the targets are made from the first image.
type Strategy int

const (
	// Chain: the first image is the largest target; every other target has its aspect ratio
	// and is reduced from the one made just before it.
	Chain Strategy = iota + 1
	// Cover: the first image covers every target; each target is cut from it.
	Cover
)

func (s Strategy) String() string {
	switch s {
	case Chain:
		return "chain"
	case Cover:
		return "cover"
	}
	return "none"
}

// Op is how one step makes its image.
type Op int

const (
	OpFirst     Op = iota + 1 // the first image itself
	OpResize                  // vips_resize of the source by HScale, VScale
	OpThumbnail               // vips_thumbnail_image of the source to W x H, centre crop
)

// Step makes one target. Steps run in order.
type Step struct {
	Target         int  // index into the targets
	Op             Op   //
	FromFirst      bool // the source is the first image; otherwise the image the last Keep step made
	Keep           bool // the image is held in memory as the next steps' source
	W, H           int  // the target's size
	HScale, VScale float64
	Encoder        Encoder
	// Cut (OpThumbnail) is cut from the source before it is resized, in the source's pixels:
	// the target's crop box (Resizer.Make). Zero: the source's centre, as libvips crops.
	Cut Rect
}

// Plan is everything vips.c does for one original, decided in Go.
type Plan struct {
	Strategy  Strategy
	Loader    Loader
	Shrink    int  // JPEG and CMYK: libjpeg DCT scaling at load (1, 2, 4, 8)
	Cut       Rect // cut from the loaded image, stored orientation, loaded pixels; zero: nothing
	BoxShrink int  // PNG: box shrink after the cut (1: none)
	// The first image: W x H, filled and centre-cropped (Fill) or fitted inside. W == 0 with
	// LoadCMYK: the loaded image as it is.
	W, H       int
	Fill       bool
	ExportSRGB bool // an embedded profile is converted to sRGB
	Hold       bool // the first image is held in memory (more than one target)
	Steps      []Step
	// Largest is the pixel count of the largest enlarged intermediate: the upright original
	// (or its crop region) scaled to cover a target. 0 when no target enlarges.
	Largest   float64
	LargestAt size.Size
}

// ErrCropUnsupported: a crop region was given for an original this plan cannot cut before
// resampling (only JPEG and PNG are loaded in a way that allows it).
var ErrCropUnsupported = errors.New("crop region needs a JPEG or PNG original")

// NewPlan decides how to make targets from src. crop is the region of the upright original
// the variants show (nil: the whole image); each target is the largest box of its aspect ratio
// centred in that region. Orientation, the aspect box and the cover scale are computed only
// here.
func NewPlan(src Source, targets []Target, crop *Rect) (Plan, error) {
	if len(targets) == 0 {
		return Plan{}, errors.New("no targets")
	}
	for _, t := range targets {
		switch t.Encoder.Format {
		case format.JPEG, format.PNG, format.GIF, format.WebP, format.AVIF:
		default:
			return Plan{}, fmt.Errorf("no encoder for %s (%v)", t.Encoder.Format, t.Size)
		}
		if t.Size.W <= 0 || t.Size.H <= 0 {
			return Plan{}, fmt.Errorf("target %v", t.Size)
		}
	}
	uw, uh := src.Upright()
	if uw <= 0 || uh <= 0 {
		return Plan{}, fmt.Errorf("source of %dx%d", uw, uh)
	}
	region := Rect{0, 0, uw, uh}
	if crop != nil {
		if src.Format != format.JPEG && src.Format != format.PNG {
			return Plan{}, fmt.Errorf("%w: %s", ErrCropUnsupported, src.Format)
		}
		if crop.W <= 0 || crop.H <= 0 || crop.X < 0 || crop.Y < 0 || crop.X+crop.W > uw || crop.Y+crop.H > uh {
			return Plan{}, fmt.Errorf("crop region %v outside the %dx%d image", *crop, uw, uh)
		}
		region = *crop
	}
	p := Plan{ExportSRGB: src.ICC, Hold: len(targets) > 1, BoxShrink: 1, Shrink: 1}

	// The largest target by area (the first of equals); a chain needs every target to share
	// its aspect ratio and be no wider.
	base := 0
	for i, t := range targets {
		if area(t.Size) > area(targets[base].Size) {
			base = i
		}
	}
	p.Strategy = Chain
	if src.CMYK {
		p.Strategy = Cover // see LoadCMYK
	}
	for _, t := range targets {
		b := targets[base].Size
		if t.Size.W*b.H != t.Size.H*b.W || t.Size.W > b.W {
			p.Strategy = Cover
		}
	}

	// scale is the final size over the region's, for the shrink on load: the base target's
	// (chain) or the largest of all (cover).
	scale := 0.0
	for _, t := range targets {
		s := coverScale(t.Size, region)
		if px := s * float64(region.W) * s * float64(region.H); s > 1 && px > p.Largest {
			p.Largest, p.LargestAt = px, t.Size
		}
		scale = max(scale, s)
	}
	if p.Strategy == Chain {
		scale = coverScale(targets[base].Size, region)
	}
	shrink := dctShrink(scale)

	switch {
	case src.CMYK:
		p.Loader, p.Shrink = LoadCMYK, shrink
	case src.Format == format.JPEG:
		p.Loader, p.Shrink = LoadJPEG, shrink
	case src.Format == format.PNG:
		p.Loader = LoadPNG
		// PNG has no shrink on load: a box shrink by the same power of two stands in for it,
		// so that the Lanczos reduction after it works on a small image. Not with alpha,
		// which thumbnail premultiplies first.
		if !src.Alpha {
			p.BoxShrink = shrink
		}
	default:
		p.Loader = LoadThumbnail
	}

	// The region in the loaded image: stored orientation, scaled by the shrink on load
	// (libvips' jpegload rounds the scaled size down; the shrink always leaves at least two
	// pixels, see dctShrink).
	loadW, loadH := src.Width/p.Shrink, src.Height/p.Shrink
	loaded := scaleDown(toStored(region, src.Orientation, src.Width, src.Height), p.Shrink, loadW, loadH)
	whole := Rect{0, 0, loadW, loadH}

	if p.Strategy == Chain {
		b := targets[base].Size
		p.W, p.H, p.Fill = b.W, b.H, true
		if p.Loader != LoadThumbnail {
			// Cut to the target's aspect ratio before anything is resampled (a portrait
			// photo cut to 4:3 is half waste); thumbnail's own crop then trims at most a
			// pixel of rounding.
			sw, sh := b.W, b.H
			if swapsAxes(src.Orientation) {
				sw, sh = sh, sw
			}
			if c := aspectBox(loaded, sw, sh); c != whole {
				p.Cut = c
			}
		}
		p.Steps = chainSteps(targets, base, src.Alpha)
		return p, nil
	}

	if p.Loader != LoadThumbnail && loaded != whole {
		p.Cut = loaded
	}
	if p.Loader != LoadCMYK {
		// +2 keeps rounding in thumbnail's fit from leaving the cover a pixel short.
		p.W = int(math.Ceil(float64(region.W)*scale)) + 2
		p.H = int(math.Ceil(float64(region.H)*scale)) + 2
	}
	p.Hold = true
	for i, t := range targets {
		p.Steps = append(p.Steps, Step{Target: i, Op: OpThumbnail, FromFirst: true, W: t.Size.W, H: t.Size.H, Encoder: t.Encoder})
	}
	return p, nil
}

// chainSteps: the base target first, then the others widest first (the first of equals), each
// reduced from the one made just before it: a plain Lanczos reduction of a small in-memory
// image, exact since the aspect ratios are equal (through thumbnail, which premultiplies, if
// there is alpha).
func chainSteps(targets []Target, base int, alpha bool) []Step {
	b := targets[base]
	steps := []Step{{Target: base, Op: OpFirst, FromFirst: true, W: b.Size.W, H: b.Size.H, Encoder: b.Encoder}}
	done := make([]bool, len(targets))
	done[base] = true
	prev := b.Size
	for range len(targets) - 1 {
		i := -1
		for j, t := range targets {
			if !done[j] && (i < 0 || t.Size.W > targets[i].Size.W) {
				i = j
			}
		}
		done[i] = true
		t := targets[i].Size
		s := Step{Target: i, Op: OpResize, Keep: true, W: t.W, H: t.H, Encoder: targets[i].Encoder,
			HScale: float64(t.W) / float64(prev.W), VScale: float64(t.H) / float64(prev.H)}
		if alpha {
			s.Op, s.HScale, s.VScale = OpThumbnail, 0, 0
		}
		steps = append(steps, s)
		prev = t
	}
	return steps
}

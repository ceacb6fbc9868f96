package handler

import (
	"image"

	"github.com/imgorigin/imgorigin/handler/focus"
	"github.com/imgorigin/imgorigin/handler/format"
	"github.com/imgorigin/imgorigin/handler/size"
	"github.com/imgorigin/imgorigin/handler/variantpath"
)

// Resizer makes variants of an original, decoding it once for every target. imaging.Resizer is
// the libvips implementation. Errors wrap ErrUnsupported, ErrInvalid or ErrTooLarge.
type Resizer interface {
	Make(src []byte, job Job) (Made, error)
}

// Target is one variant to make: its exact size and the format it is asked in.
type Target struct {
	Size   size.Size
	Format variantpath.Format // "" is variantpath.Original
}

// Job is everything the handler decides about one decode of an original.
type Job struct {
	Targets []Target
	// Focus is the point to crop around, in fractions of the upright image (the original's
	// focal-point metadata, or the one recorded at pre-warm). Nil: the Resizer's crop policy.
	Focus *focus.Point
	// FocusSource is where Focus came from, echoed in Made.FocusSource ("": FromMetadata).
	FocusSource focus.Source
	// Meta asks for what the /meta document needs besides the variants: a small thumbnail.
	Meta bool
}

// Made is what one decode produced.
type Made struct {
	Variants      []Variant // one per Job.Targets, in order
	Source        format.Format
	Width, Height int          // the upright original
	Focus         focus.Point  // the point every crop was centred on
	FocusSource   focus.Source // where it came from
	Thumb         image.Image  // when Job.Meta: a small sRGB copy of the upright original
}

// Variant is one encoded output of a Resizer.
type Variant struct {
	Target      Target
	Body        []byte
	ContentType string
}

// TargetsOf is one target per size, all in format f.
func TargetsOf(f variantpath.Format, sizes ...size.Size) []Target {
	ts := make([]Target, len(sizes))
	for i, s := range sizes {
		ts[i] = Target{Size: s, Format: f}
	}
	return ts
}

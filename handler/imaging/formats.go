package imaging

import (
	"fmt"

	"github.com/imgorigin/imgorigin/handler"
	"github.com/imgorigin/imgorigin/handler/format"
	"github.com/imgorigin/imgorigin/handler/variantpath"
)

// OutputFormat is the format a variant asked in f is written in, for an original read as src.
//
//   - WebP and AVIF are themselves, with the source's alpha kept.
//   - Original is what every browser reads, as close to the original as that allows: JPEG and
//     PNG stay what they are (a transparent PNG stays PNG, never a JPEG on white), a GIF's first
//     frame becomes PNG (format.Output: no GIF saver in the build); HEIC,
//     WebP and AVIF, which a viewer that did not ask for them may not read, become JPEG, or
//     PNG when they have alpha.
func OutputFormat(src Source, f variantpath.Format) (format.Format, error) {
	switch f {
	case variantpath.WebP:
		return format.WebP, nil
	case variantpath.AVIF:
		return format.AVIF, nil
	case variantpath.Original, "":
		switch src.Format {
		case format.JPEG, format.PNG:
			return src.Format, nil
		case format.GIF:
			return format.GIF.Output(), nil // PNG: the libvips build writes no GIF (format.Output)
		case format.HEIC, format.WebP, format.AVIF:
			if src.Alpha {
				return format.PNG, nil
			}
			return format.JPEG, nil
		}
		return format.Unknown, fmt.Errorf("%w: no web format for a %s original", ErrUnsupported, src.Format)
	}
	return format.Unknown, fmt.Errorf("%w: output format %q", ErrUnsupported, f)
}

// planTargets are the plan's targets for the handler's: each size with the encoder of its
// format (EncoderFor, at the configured quality).
func (r *Resizer) planTargets(src Source, ts []handler.Target) ([]Target, error) {
	out := make([]Target, len(ts))
	for i, t := range ts {
		f, err := OutputFormat(src, t.Format)
		if err != nil {
			return nil, err
		}
		out[i] = Target{Size: t.Size, Encoder: EncoderFor(f, r.opt.Quality, src.Alpha)}
	}
	return out, nil
}

// Dimensions is the width and height libvips reads from an encoded image's header (any format
// it loads: JPEG, PNG, GIF, WebP, AVIF, HEIC), for tests and tools that check a variant's exact
// size without decoding it.
func Dimensions(src []byte) (w, h int, err error) {
	if len(src) == 0 {
		return 0, 0, fmt.Errorf("%w: empty file", ErrUnsupported)
	}
	setup()
	hd, err := readHeader(src)
	if err != nil {
		return 0, 0, err
	}
	return hd.Width, hd.Height, nil
}

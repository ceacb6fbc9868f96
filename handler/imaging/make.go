package imaging

import (
	"fmt"

	"github.com/imgorigin/imgorigin/handler"
	"github.com/imgorigin/imgorigin/handler/focus"
	"github.com/imgorigin/imgorigin/handler/size"
	"github.com/imgorigin/imgorigin/handler/variantpath"
)

// Make is handler.Resizer: every target of job from one decode.
//
// Interim: only variantpath.Original is made, centre-cropped; the formats of the edge issue and
// the focal point / crop policies of the art-direction issue replace this body.
func (r *Resizer) Make(src []byte, job handler.Job) (handler.Made, error) {
	sizes := make([]size.Size, len(job.Targets))
	for i, t := range job.Targets {
		if t.Format != "" && t.Format != variantpath.Original {
			return handler.Made{}, fmt.Errorf("%w: output format %q", ErrUnsupported, t.Format)
		}
		sizes[i] = t.Size
	}
	vs, err := r.Resize(src, sizes)
	if err != nil {
		return handler.Made{}, err
	}
	return handler.Made{Variants: vs, Focus: focus.Centre, FocusSource: focus.FromCentre}, nil
}

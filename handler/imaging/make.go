package imaging

import (
	"github.com/imgorigin/imgorigin/handler"
	"github.com/imgorigin/imgorigin/handler/focus"
)

// Make is handler.Resizer: every target of job from one decode, each in its own format
// (formats.go).
//
// Interim: centre-cropped; the focal point / crop policies of the art-direction issue replace
// the crop.
func (r *Resizer) Make(src []byte, job handler.Job) (handler.Made, error) {
	vs, f, err := r.makeTargets(src, job.Targets)
	if err != nil {
		return handler.Made{}, err
	}
	return handler.Made{Variants: vs, Source: f, Focus: focus.Centre, FocusSource: focus.FromCentre}, nil
}

package imaging

import (
	"fmt"
	"math"
	"slices"

	"github.com/imgorigin/imgorigin/handler"
	"github.com/imgorigin/imgorigin/handler/focus"
	"github.com/imgorigin/imgorigin/handler/format"
	"github.com/imgorigin/imgorigin/handler/meta"
	"github.com/imgorigin/imgorigin/handler/size"
	"github.com/imgorigin/imgorigin/handler/variantpath"
)

// Make is handler.Resizer: every target of job from one decode, each cut from the box of its
// aspect ratio centred on one focal point (focus.Crop), so that every size of one aspect is the
// same picture.
//
// The focal point is job.Focus if given; otherwise the Resizer's crop policy: the centre, or
// libvips' smartcrop (attention or entropy) run on the first image, once.
//
// Two ways through libvips:
//   - the focal point is known and no /meta facts are asked for: the plan cuts the box before
//     anything is resampled (JPEG and PNG, one aspect ratio), as cheap as a centre crop; the
//     centre itself is today's plan, for every format;
//   - otherwise the whole upright original is made into one in-memory cover image (the only
//     decode), analysed there if it must be, thumbnailed for the placeholder, and every target
//     is cut from it at its box mapped into it.
//
// Each target is encoded in its own format (OutputFormat, formats.go).
func (r *Resizer) Make(src []byte, job handler.Job) (handler.Made, error) {
	sizes := make([]size.Size, len(job.Targets))
	for i, t := range job.Targets {
		sizes[i] = t.Size
	}
	in, err := r.inspect(src)
	if err != nil {
		return handler.Made{}, err
	}
	uw, uh := in.Upright()
	m := handler.Made{Source: in.Format, Width: uw, Height: uh, Focus: focus.Centre, FocusSource: focus.FromCentre}
	if job.Focus != nil {
		m.Focus, m.FocusSource = *job.Focus, job.FocusSource
		if m.FocusSource == "" {
			m.FocusSource = focus.FromMetadata
		}
	}
	analyse := job.Focus == nil && (r.opt.Crop == focus.FromAttention || r.opt.Crop == focus.FromEntropy)
	if len(sizes) == 0 && !job.Meta && !analyse {
		return m, nil
	}
	targets, err := r.planTargets(in, job.Targets) // each in its own format (formats.go)
	if err != nil {
		return handler.Made{}, err
	}

	if !analyse && !job.Meta && len(targets) > 0 {
		var crop *Rect
		if m.Focus != focus.Centre {
			b, one := oneBox(uw, uh, sizes, m.Focus)
			if !one || (in.Format != format.JPEG && in.Format != format.PNG) {
				return r.makeFromCover(src, in, targets, job, m, false)
			}
			crop = &b
		}
		m.Variants, err = r.makePlanned(src, in, job.Targets, targets, crop)
		return m, err
	}
	return r.makeFromCover(src, in, targets, job, m, analyse)
}

// makePlanned makes targets (the plan's for asked) straight from src: one plan, cut before
// anything is resampled (crop: an upright region, or nil for the centre), checked against the
// limits before libvips decodes.
func (r *Resizer) makePlanned(src []byte, in Source, asked []handler.Target, targets []Target, crop *Rect) ([]handler.Variant, error) {
	p, err := NewPlan(in, targets, crop)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, in.Format, err)
	}
	if err := r.checkPlan(in, p); err != nil {
		return nil, err
	}
	bodies, err := run(src, p)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return variants(asked, targets, p, bodies), nil
}

// makeFromCover is Make's second way: the cover image first, then the analysis and the
// thumbnail on it, then each target cut from it.
func (r *Resizer) makeFromCover(src []byte, in Source, targets []Target, job handler.Job, m handler.Made, analyse bool) (handler.Made, error) {
	p, err := coverPlan(in, targets)
	if err != nil {
		return m, fmt.Errorf("%w: %s: %v", ErrInvalid, in.Format, err)
	}
	if err := r.checkPlan(in, p); err != nil {
		return m, err
	}
	img, err := loadFirst(src, p)
	if err != nil {
		return m, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	defer img.close()
	if analyse {
		pt, err := r.analyse(img, in, targets, p.W == 0)
		if err != nil {
			return m, fmt.Errorf("%w: smartcrop: %v", ErrInvalid, err)
		}
		m.Focus, m.FocusSource = pt, r.opt.Crop
	}
	if job.Meta {
		t, err := img.thumb(thumbShrink(img, in, p.W == 0))
		if err != nil {
			return m, fmt.Errorf("%w: thumbnail: %v", ErrInvalid, err)
		}
		m.Thumb = t
	}
	if len(targets) == 0 {
		return m, nil
	}
	uw, uh := in.Upright()
	for i := range p.Steps {
		s := &p.Steps[i]
		if !s.FromFirst {
			continue // reduced from the step before it: same aspect, same box
		}
		b := focus.Crop(uw, uh, s.W, s.H, m.Focus)
		if p.W == 0 { // the cover is the loaded image as stored
			b = b.Stored(uw, uh, in.Orientation).Scale(in.Width, in.Height, img.W, img.H)
		} else {
			b = b.Scale(uw, uh, img.W, img.H)
		}
		s.Cut = Rect{b.X, b.Y, b.W, b.H}
	}
	bodies, err := img.run(p)
	if err != nil {
		return m, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	m.Variants = variants(job.Targets, targets, p, bodies)
	return m, nil
}

// analyse finds the focal point with the crop policy on the first image: attention's centre,
// or the centre of entropy's box for the first target's aspect ratio.
func (r *Resizer) analyse(img *first, in Source, targets []Target, stored bool) (focus.Point, error) {
	entropy := r.opt.Crop == focus.FromEntropy
	// The box asked for is the first target's aspect ratio in the cover (the entropy box is
	// that aspect's crop; attention's point moves with the box's size on flat images, and this
	// is the box it was measured with, docs/CROP-AND-META.md). libvips only analyses a box
	// smaller than the image: where the aspect fills the cover, ask for nine tenths of it.
	w, h := img.W, img.H
	if len(targets) > 0 {
		tw, th := targets[0].Size.W, targets[0].Size.H
		if stored && swapsAxes(in.Orientation) {
			tw, th = th, tw
		}
		b := aspectBox(Rect{0, 0, img.W, img.H}, tw, th)
		w, h = b.W, b.H
	}
	if w >= img.W && h >= img.H {
		w, h = max(img.W*9/10, 1), max(img.H*9/10, 1)
	}
	ax, ay, box, err := img.smartcrop(entropy, w, h)
	if err != nil {
		return focus.Point{}, err
	}
	if entropy {
		ax, ay = box.X+box.W/2, box.Y+box.H/2
	}
	p := focus.FromPixel(ax, ay, img.W, img.H)
	if stored {
		p = uprightPoint(p, in.Orientation)
	}
	// Rounded as focus.Point.String writes it: the point recorded in /meta is exactly the one
	// the variants were cut around.
	return focus.Point{X: math.Round(p.X*1e6) / 1e6, Y: math.Round(p.Y*1e6) / 1e6}, nil
}

// thumbShrink is the box shrink that makes the cover about meta.ThumbWidth wide upright, and at
// most 8 times that high (a very tall original still gets a thumbnail small enough to hash:
// meta.Placeholder refuses large ones). A box average is all a BlurHash needs, and much
// cheaper than a Lanczos thumbnail of the cover.
func thumbShrink(img *first, in Source, stored bool) int {
	w, h := img.W, img.H
	if stored && swapsAxes(in.Orientation) {
		w, h = h, w
	}
	// Never past the short side: an extreme strip keeps a pixel across (and stays small).
	return max(1, min(max(ceilDiv(w, meta.ThumbWidth), ceilDiv(h, 8*meta.ThumbWidth)), w, h))
}

// uprightPoint maps a point in fractions of the stored image to the upright image under EXIF
// orientation o (focus.Box.Stored the other way).
func uprightPoint(p focus.Point, o int) focus.Point {
	x, y := p.X, p.Y
	switch o {
	case 2:
		return focus.Point{X: 1 - x, Y: y}
	case 3:
		return focus.Point{X: 1 - x, Y: 1 - y}
	case 4:
		return focus.Point{X: x, Y: 1 - y}
	case 5:
		return focus.Point{X: y, Y: x}
	case 6:
		return focus.Point{X: 1 - y, Y: x}
	case 7:
		return focus.Point{X: 1 - y, Y: 1 - x}
	case 8:
		return focus.Point{X: y, Y: 1 - x}
	}
	return p
}

// coverPlan makes the whole original into one in-memory image that covers every target (or is
// the original's size, when a target needs more): the loaded image itself where the loader
// shrinks on load and no colour conversion is needed (JPEG; PNG without alpha, box-shrunk;
// CMYK, converted at load), in stored orientation; otherwise resampled, upright. Then, per aspect ratio, the largest target
// is cut from it (Step.Cut, filled in by Make once the focal point is known) and each smaller
// one of that aspect reduced from the one before, as the chain does.
func coverPlan(in Source, targets []Target) (Plan, error) {
	base := targets
	if len(base) == 0 { // the /meta facts alone: a small cover suffices
		base = []Target{{Size: size.Size{W: meta.ThumbWidth * 8, H: meta.ThumbWidth * 8}, Encoder: EncoderFor(format.JPEG, 80, false)}}
	}
	p, err := NewPlan(in, base, nil)
	if err != nil {
		return Plan{}, err
	}
	uw, uh := in.Upright()
	scale := 0.0
	for _, t := range base {
		scale = max(scale, coverScale(t.Size, Rect{0, 0, uw, uh}))
	}
	// Never enlarge the whole original (an extreme strip would become an enormous cover): a
	// target larger than its box is enlarged from its own cut, in its step.
	scale = min(scale, 1)
	p.Strategy, p.Cut, p.Hold, p.Fill, p.Steps = Cover, Rect{}, true, false, nil
	asLoaded := p.Loader == LoadCMYK || !in.ICC && (p.Loader == LoadJPEG || p.Loader == LoadPNG && !in.Alpha)
	if asLoaded {
		p.W, p.H = 0, 0
	} else if scale == 1 {
		p.W, p.H = uw, uh // the original's own size: nothing is resampled
	} else {
		// +2 keeps rounding in thumbnail's fit from leaving the cover a pixel short.
		p.W = int(math.Ceil(float64(uw)*scale)) + 2
		p.H = int(math.Ceil(float64(uh)*scale)) + 2
	}
	done := make([]bool, len(targets))
	for {
		b := -1
		for i, t := range targets {
			if !done[i] && (b < 0 || area(t.Size) > area(targets[b].Size)) {
				b = i
			}
		}
		if b < 0 {
			break
		}
		var group []Target
		var index []int
		for i, t := range targets {
			if !done[i] && t.Size.W*targets[b].Size.H == t.Size.H*targets[b].Size.W {
				group, index, done[i] = append(group, t), append(index, i), true
			}
		}
		steps := chainSteps(group, slices.Index(index, b), in.Alpha)
		steps[0].Op, steps[0].Keep = OpThumbnail, true
		for _, s := range steps {
			s.Target = index[s.Target]
			p.Steps = append(p.Steps, s)
		}
	}
	return p, nil
}

// oneBox is the crop box of the sizes when they all share one aspect ratio.
func oneBox(uw, uh int, sizes []size.Size, p focus.Point) (Rect, bool) {
	for _, s := range sizes[1:] {
		if s.W*sizes[0].H != s.H*sizes[0].W {
			return Rect{}, false
		}
	}
	b := focus.Crop(uw, uh, sizes[0].W, sizes[0].H, p)
	return Rect{b.X, b.Y, b.W, b.H}, true
}

// variants are the plan's bodies in the targets' order, each with the format token it was
// asked in.
func variants(asked []handler.Target, targets []Target, p Plan, bodies [][]byte) []handler.Variant {
	vs := make([]handler.Variant, len(targets))
	for i, s := range p.Steps {
		t := asked[s.Target]
		if t.Format == "" {
			t.Format = variantpath.Original
		}
		vs[s.Target] = handler.Variant{Target: t, Body: bodies[i], ContentType: targets[s.Target].Encoder.Format.ContentType()}
	}
	return vs
}

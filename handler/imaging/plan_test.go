package imaging

import (
	"errors"
	"fmt"
	"testing"

	"github.com/imgorigin/imgorigin/handler/format"
	"github.com/imgorigin/imgorigin/handler/size"
)

// The plan is pure Go: these tables call no libvips.

func jpegSource(w, h, o int) Source {
	return Source{Format: format.JPEG, Width: w, Height: h, Orientation: o}
}

func mustPlan(t *testing.T, src Source, sizes string, crop *Rect) Plan {
	t.Helper()
	p, err := NewPlan(src, Targets(src, mustSizes(sizes), 80), crop)
	if err != nil {
		t.Fatalf("%+v %s: %v", src, sizes, err)
	}
	return p
}

func TestPlanShrinkOnLoad(t *testing.T) {
	for _, c := range []struct {
		src       Source
		sizes     string
		loader    Loader
		shrink    int
		boxShrink int
	}{
		// scale 0.15: 1/4 leaves 1500x1000, over 800x600; 1/8 would leave 750x500.
		{jpegSource(6000, 4000, 1), "800x600", LoadJPEG, 4, 1},
		{jpegSource(6000, 4000, 1), "200x150", LoadJPEG, 8, 1},
		{jpegSource(3000, 2000, 1), "800x600", LoadJPEG, 2, 1},
		{jpegSource(1600, 1200, 1), "800x600", LoadJPEG, 2, 1},
		{jpegSource(1599, 1200, 1), "800x600", LoadJPEG, 1, 1},
		{jpegSource(400, 300, 1), "800x600", LoadJPEG, 1, 1}, // enlarged: no shrink
		// Orientation 6: the 4000x6000 stored is 6000x4000 upright, as above.
		{jpegSource(4000, 6000, 6), "800x600", LoadJPEG, 4, 1},
		// Pre-warm sizes: the largest decides.
		{jpegSource(6000, 4000, 1), "800x600,400x300,200x150", LoadJPEG, 4, 1},
		// Cover: the largest scale of all targets decides.
		{jpegSource(6000, 4000, 1), "200x150,100x400", LoadJPEG, 8, 1},
		{Source{Format: format.PNG, Width: 4000, Height: 3000, Orientation: 1}, "800x600", LoadPNG, 1, 4},
		{Source{Format: format.PNG, Width: 4000, Height: 3000, Orientation: 1, Alpha: true}, "800x600", LoadPNG, 1, 1},
		{Source{Format: format.WebP, Width: 4000, Height: 3000, Orientation: 1}, "800x600", LoadThumbnail, 1, 1},
		{Source{Format: format.HEIC, Width: 4000, Height: 3000, Orientation: 1}, "800x600", LoadThumbnail, 1, 1},
		{Source{Format: format.JPEG, Width: 4000, Height: 3000, Orientation: 1, CMYK: true}, "800x600", LoadCMYK, 4, 1},
	} {
		p := mustPlan(t, c.src, c.sizes, nil)
		if p.Loader != c.loader || p.Shrink != c.shrink || p.BoxShrink != c.boxShrink {
			t.Errorf("%+v %s: loader %d shrink %d box shrink %d, want %d %d %d",
				c.src, c.sizes, p.Loader, p.Shrink, p.BoxShrink, c.loader, c.shrink, c.boxShrink)
		}
	}
}

// The centre cut before resampling, in stored orientation and loaded (shrunk) pixels, for every
// EXIF orientation: a 3000x2000 upright photo cut to 1:1 keeps its middle 2000x2000; stored
// turned (5-8) the cut runs along the stored image's other axis.
func TestPlanCentreCutAllOrientations(t *testing.T) {
	for o := 1; o <= 8; o++ {
		w, h := 3000, 2000
		// 400x400 from 3000x2000: scale 0.2, shrink 4 (750x500 loaded), the middle 500x500.
		want := Rect{125, 0, 500, 500}
		if o >= 5 {
			w, h = h, w
			want = Rect{0, 125, 500, 500}
		}
		p := mustPlan(t, jpegSource(w, h, o), "400x400", nil)
		if p.Strategy != Chain || p.Shrink != 4 || p.Cut != want || p.W != 400 || p.H != 400 || !p.Fill {
			t.Errorf("orientation %d: %v shrink %d cut %v first %dx%d fill %v, want chain 4 %v 400x400 fill",
				o, p.Strategy, p.Shrink, p.Cut, p.W, p.H, p.Fill, want)
		}
		// 800x200 (4:1) from the upright 3000x2000: all the width, the middle 750 rows.
		p = mustPlan(t, jpegSource(w, h, o), "800x200", nil)
		want = Rect{0, 625, 3000, 750} // scale 0.2667: shrink 2
		if o >= 5 {
			want = Rect{625, 0, 750, 3000}
		}
		want = Rect{want.X / 2, want.Y / 2, want.W / 2, want.H / 2}
		if p.Cut != want {
			t.Errorf("orientation %d, 800x200: cut %v, want %v", o, p.Cut, want)
		}
	}
}

// toUpright maps a stored pixel to where orientation o shows it, pixel by pixel (the EXIF
// definitions), independently of toStored's box arithmetic.
func toUpright(x, y, o, w, h int) (int, int) {
	switch o {
	case 2:
		return w - 1 - x, y
	case 3:
		return w - 1 - x, h - 1 - y
	case 4:
		return x, h - 1 - y
	case 5:
		return y, x
	case 6:
		return h - 1 - y, x
	case 7:
		return h - 1 - y, w - 1 - x
	case 8:
		return y, w - 1 - x
	}
	return x, y
}

// A given upright box maps to the stored box whose every pixel is shown inside it, for all 8
// orientations (the seam for a crop box per original, issue 12).
func TestToStoredAllOrientations(t *testing.T) {
	up := Rect{2, 3, 5, 4} // in an upright 30x20 image
	want := map[int]Rect{
		1: {2, 3, 5, 4}, 2: {23, 3, 5, 4}, 3: {23, 13, 5, 4}, 4: {2, 13, 5, 4},
		5: {3, 2, 4, 5}, 6: {3, 23, 4, 5}, 7: {13, 23, 4, 5}, 8: {13, 2, 4, 5},
	}
	for o := 1; o <= 8; o++ {
		w, h := 30, 20
		if o >= 5 {
			w, h = 20, 30
		}
		got := toStored(up, o, w, h)
		if got != want[o] {
			t.Errorf("orientation %d: %v, want %v", o, got, want[o])
		}
		for y := got.Y; y < got.Y+got.H; y++ {
			for x := got.X; x < got.X+got.W; x++ {
				ux, uy := toUpright(x, y, o, w, h)
				if ux < up.X || ux >= up.X+up.W || uy < up.Y || uy >= up.Y+up.H {
					t.Fatalf("orientation %d: stored pixel %d,%d is shown at %d,%d, outside %v", o, x, y, ux, uy, up)
				}
			}
		}
	}
}

// A crop region in upright pixels: the targets come from the region only, cut in stored
// orientation after the shrink on load.
func TestPlanCropRegion(t *testing.T) {
	region := &Rect{1000, 500, 1000, 1000} // a square in the upright 3000x2000
	for o := 1; o <= 8; o++ {
		w, h := 3000, 2000
		if o >= 5 {
			w, h = h, w
		}
		src := jpegSource(w, h, o)
		// 400x300 from a 1000x1000 region: scale 0.4, shrink 2; in the upright loaded image
		// the region is 500,250 500x500 and its 4:3 centre 500,312 500x375.
		// (Centring rounds down in stored pixels, so mirrored it may land a pixel over.)
		p := mustPlan(t, src, "400x300", region)
		want := toStored(Rect{500, 312, 500, 375}, o, w/2, h/2)
		in := toStored(Rect{500, 250, 500, 500}, o, w/2, h/2)
		if p.Strategy != Chain || p.Shrink != 2 || p.Cut.W != want.W || p.Cut.H != want.H ||
			abs(p.Cut.X-want.X) > 1 || abs(p.Cut.Y-want.Y) > 1 ||
			p.Cut.X < in.X || p.Cut.Y < in.Y || p.Cut.X+p.Cut.W > in.X+in.W || p.Cut.Y+p.Cut.H > in.Y+in.H {
			t.Errorf("orientation %d: %v shrink %d cut %v, want chain, 2, %v inside %v", o, p.Strategy, p.Shrink, p.Cut, want, in)
		}
		// Several aspects: the cover is made from the region alone.
		p = mustPlan(t, src, "400x300,300x400", region)
		if want := toStored(Rect{500, 250, 500, 500}, o, w/2, h/2); p.Strategy != Cover || p.Cut != want {
			t.Errorf("orientation %d, cover: %v cut %v, want %v", o, p.Strategy, p.Cut, want)
		}
		if p.W != 402 || p.H != 402 { // the 1000x1000 region at scale 0.4, +2
			t.Errorf("orientation %d, cover: %dx%d", o, p.W, p.H)
		}
	}
	webp := Source{Format: format.WebP, Width: 300, Height: 200, Orientation: 1}
	if _, err := NewPlan(webp, Targets(webp, mustSizes("100x100"), 80), &Rect{0, 0, 10, 10}); !errors.Is(err, ErrCropUnsupported) {
		t.Errorf("WebP crop: %v, want ErrCropUnsupported", err)
	}
	for _, bad := range []Rect{{0, 0, 0, 10}, {-1, 0, 10, 10}, {2900, 0, 200, 10}, {0, 1990, 10, 11}} {
		src := jpegSource(3000, 2000, 1)
		if _, err := NewPlan(src, Targets(src, mustSizes("100x100"), 80), &bad); err == nil {
			t.Errorf("crop %v accepted", bad)
		}
	}
}

func abs(v int) int { return max(v, -v) }

func stepTargets(p Plan) []int {
	var out []int
	for _, s := range p.Steps {
		out = append(out, s.Target)
	}
	return out
}

func TestPlanStrategyAndOrder(t *testing.T) {
	src := jpegSource(3000, 2000, 1)
	p := mustPlan(t, src, "200x150,800x600,400x300", nil)
	if p.Strategy != Chain || !p.Hold || fmt.Sprint(stepTargets(p)) != "[1 2 0]" {
		t.Fatalf("%v hold %v order %v", p.Strategy, p.Hold, stepTargets(p))
	}
	ops := []Op{OpFirst, OpResize, OpResize}
	for i, s := range p.Steps {
		if s.Op != ops[i] || s.FromFirst != (i == 0) || s.Keep != (i > 0) {
			t.Errorf("step %d: %+v", i, s)
		}
	}
	if s := p.Steps[1]; s.HScale != 0.5 || s.VScale != 0.5 || s.W != 400 || s.H != 300 {
		t.Errorf("400x300 from 800x600: %+v", s)
	}
	// With alpha the reductions go through thumbnail, which premultiplies.
	alpha := Source{Format: format.PNG, Width: 3000, Height: 2000, Orientation: 1, Alpha: true}
	if p := mustPlan(t, alpha, "800x600,400x300", nil); p.Steps[1].Op != OpThumbnail || p.Steps[1].FromFirst {
		t.Errorf("alpha chain: %+v", p.Steps[1])
	}
	// One target streams: nothing held.
	if p := mustPlan(t, src, "800x600", nil); p.Hold || len(p.Steps) != 1 || p.Steps[0].Op != OpFirst {
		t.Errorf("one target: %+v", p)
	}
	// Other aspects, or a smaller target wider than the largest: a cover, in the given order.
	for _, sizes := range []string{"800x600,300x300", "300x300,800x600", "800x600,900x100"} {
		p := mustPlan(t, src, sizes, nil)
		if p.Strategy != Cover || !p.Hold || p.Fill || p.Cut != (Rect{}) || fmt.Sprint(stepTargets(p)) != "[0 1]" {
			t.Errorf("%s: %+v", sizes, p)
		}
		for _, s := range p.Steps {
			if s.Op != OpThumbnail || !s.FromFirst || s.Keep {
				t.Errorf("%s: step %+v", sizes, s)
			}
		}
	}
	// The cover: 3000x2000 at the largest scale (300x300 needs 0.15, 800x600 0.3), +2.
	if p := mustPlan(t, src, "800x600,300x300", nil); p.W != 902 || p.H != 602 {
		t.Errorf("cover %dx%d, want 902x602", p.W, p.H)
	}
	// CMYK is always a cover, not resampled at load.
	cmyk := Source{Format: format.JPEG, Width: 3000, Height: 2000, Orientation: 1, CMYK: true}
	if p := mustPlan(t, cmyk, "800x600", nil); p.Strategy != Cover || p.Loader != LoadCMYK || p.W != 0 || !p.Hold {
		t.Errorf("cmyk: %+v", p)
	}
}

// Extreme aspect ratios: the cut stays inside the image and at least a pixel wide, and the
// largest intermediate is what filling the target from the whole upright image would need.
func TestPlanExtremeAspects(t *testing.T) {
	for _, c := range []struct {
		src     Source
		sizes   string
		cut     Rect
		largest float64
		at      string
	}{
		{jpegSource(10000, 1, 1), "1x1", Rect{4999, 0, 1, 1}, 0, "0x0"},
		{jpegSource(10000, 1, 1), "800x600", Rect{4999, 0, 1, 1}, 600 * 10000 * 600 * 1, "800x600"},
		{jpegSource(1, 10000, 1), "800x600", Rect{0, 4999, 1, 1}, 800 * 1 * 800 * 10000, "800x600"},
		{jpegSource(5000, 20, 1), "800x600", Rect{2486, 0, 27, 20}, 30 * 5000 * 30 * 20, "800x600"},
		// Stored wide, shown tall: the guard sees the upright 20x5000.
		{jpegSource(5000, 20, 6), "800x600", Rect{2492, 0, 15, 20}, 40 * 20 * 40 * 5000, "800x600"},
		{jpegSource(65535, 2, 1), "1x1", Rect{16383, 0, 1, 1}, 0, "0x0"},
		{jpegSource(3000, 2000, 1), "800x600,400x300,1600x1200", Rect{166, 0, 2667, 2000}, 0, "0x0"},
	} {
		p := mustPlan(t, c.src, c.sizes, nil)
		if p.Cut != c.cut || p.Largest != c.largest || p.LargestAt.String() != c.at {
			t.Errorf("%+v %s: cut %v largest %.0f at %v, want %v %.0f at %s", c.src, c.sizes, p.Cut, p.Largest, p.LargestAt, c.cut, c.largest, c.at)
		}
		lw, lh := c.src.Width/p.Shrink, c.src.Height/p.Shrink
		if p.Cut.W > 0 && (p.Cut.X < 0 || p.Cut.Y < 0 || p.Cut.X+p.Cut.W > lw || p.Cut.Y+p.Cut.H > lh) {
			t.Errorf("%+v %s: cut %v outside the loaded %dx%d", c.src, c.sizes, p.Cut, lw, lh)
		}
	}
}

func TestPlanEncoders(t *testing.T) {
	for _, c := range []struct {
		src  Source
		want Encoder
	}{
		{Source{Format: format.JPEG}, Encoder{Format: format.JPEG, Quality: 80, Progressive: true}},
		{Source{Format: format.HEIC, Alpha: true}, Encoder{Format: format.JPEG, Quality: 80, Progressive: true, Flatten: true}},
		{Source{Format: format.PNG, Alpha: true}, Encoder{Format: format.PNG, Compression: 1, FilterAll: true}},
		{Source{Format: format.WebP}, Encoder{Format: format.WebP, Quality: 80}},
		{Source{Format: format.GIF}, Encoder{Format: format.PNG, Compression: 1, FilterAll: true}}, // no GIF writer
		{Source{Format: format.AVIF}, Encoder{Format: format.AVIF, Quality: 63, Effort: 0}},
	} {
		ts := Targets(c.src, mustSizes("800x600,400x300"), 80)
		if ts[0].Encoder != c.want || ts[1].Encoder != c.want {
			t.Errorf("%s: %+v, want %+v", c.src.Format, ts[0].Encoder, c.want)
		}
	}
	for _, f := range []format.Format{format.HEIC, format.Unknown} {
		src := jpegSource(300, 200, 1)
		if _, err := NewPlan(src, []Target{{size.Size{W: 10, H: 10}, EncoderFor(f, 80, false)}}, nil); err == nil {
			t.Errorf("a %s target was planned: there is no encoder for it", f)
		}
	}
	if e := EncoderFor(format.AVIF, 50, false); e.Quality != 33 {
		t.Errorf("AVIF at 50: Q %d, want 33", e.Quality)
	}
	// Each target keeps its own encoder through the plan (a size plus a format per target).
	src := jpegSource(3000, 2000, 1)
	targets := []Target{
		{size.Size{W: 400, H: 300}, EncoderFor(format.WebP, 70, false)},
		{size.Size{W: 800, H: 600}, EncoderFor(format.AVIF, 80, false)},
		{size.Size{W: 800, H: 600}, EncoderFor(format.JPEG, 80, false)},
	}
	for _, ts := range [][]Target{targets, {targets[0], {size.Size{W: 300, H: 300}, EncoderFor(format.PNG, 80, false)}}} {
		p, err := NewPlan(src, ts, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Steps {
			if s.Encoder != ts[s.Target].Encoder || s.W != ts[s.Target].Size.W {
				t.Errorf("%v: step for target %d has %+v", p.Strategy, s.Target, s.Encoder)
			}
		}
	}
}

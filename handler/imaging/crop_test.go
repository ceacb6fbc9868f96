package imaging

import (
	"fmt"
	"image"
	"image/color"
	"testing"

	"github.com/h2non/bimg"
	"golang.org/x/image/draw"

	"github.com/imgorigin/imgorigin/handler"
	"github.com/imgorigin/imgorigin/handler/focus"
	"github.com/imgorigin/imgorigin/handler/format"
	"github.com/imgorigin/imgorigin/handler/size"
	"github.com/imgorigin/imgorigin/handler/variantpath"
)

// The fixtures with a known subject (testdata/fixtures/README.md, "Known subjects"): the exact
// box of the subject in the upright original, its centre as a focal point, and a test that tells
// a subject pixel from the background.
var subjectCases = []struct {
	file      string
	w, h      int
	subject   image.Rectangle // x0,y0 inclusive, x1,y1 exclusive
	focus     focus.Point
	isSubject func(c [3]int) bool
}{
	// the background is a grey-blue to grey-green sky, red below green; the figure's skin and
	// stripes are red above green
	{"subject-landscape.jpg", 2000, 800, image.Rect(1600, 250, 1900, 650), focus.Point{X: 0.875, Y: 0.5625}, warm},
	{"subject-portrait.jpg", 900, 1600, image.Rect(300, 80, 600, 480), focus.Point{X: 0.5, Y: 0.175}, warm},
	// white background; an orange ring and a black word mark
	{"subject-logo.png", 1200, 400, image.Rect(70, 120, 450, 280), focus.Point{X: 0.2167, Y: 0.5}, inked},
}

func warm(c [3]int) bool  { return c[0]-c[1] > 25 }
func inked(c [3]int) bool { return min(c[0], c[1], c[2]) < 160 }

// cropSizes: three sizes of 4:3 and one of 16:9.
var cropSizes = mustSizes("800x600,400x300,200x150,1200x675")

// TestCropHoldsTheSubject: with the focal point at the subject (the uploader's metadata) and
// with CROP=attention, every allowed size shows the whole subject, uncut, at the scale of its
// box; for one size alone (a miss) and for all of them from one decode (a pre-warm with the
// /meta facts).
func TestCropHoldsTheSubject(t *testing.T) {
	for _, c := range subjectCases {
		src := fixture(t, c.file)
		// The focal point on an original that LoadThumbnail reads (no cut before resampling).
		webp, err := bimg.NewImage(src).Convert(bimg.WEBP)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []struct {
			name string
			crop focus.Source
			src  []byte
			pt   *focus.Point
			want focus.Source
		}{
			{"focal point", focus.FromCentre, src, &c.focus, focus.FromMetadata},
			{"focal point, as WebP", focus.FromCentre, webp, &c.focus, focus.FromMetadata},
			{"attention", focus.FromAttention, src, nil, focus.FromAttention},
		} {
			r := New(Options{Quality: 90, MaxBytes: 40 << 20, MaxPixels: 100_000_000, MaxFrames: 200, Crop: p.crop})
			jobs := [][]size.Size{cropSizes}
			for _, s := range cropSizes {
				jobs = append(jobs, []size.Size{s})
			}
			for _, sizes := range jobs {
				job := handler.Job{Targets: handler.TargetsOf(variantpath.Original, sizes...), Focus: p.pt, Meta: len(sizes) > 1}
				m, err := r.Make(p.src, job)
				if err != nil {
					t.Fatalf("%s %s %v: %v", c.file, p.name, sizes, err)
				}
				if m.FocusSource != p.want || m.Width != c.w || m.Height != c.h {
					t.Fatalf("%s %s: made %dx%d focus %v from %q, want %dx%d from %q", c.file, p.name, m.Width, m.Height, m.Focus, m.FocusSource, c.w, c.h, p.want)
				}
				if job.Meta != (m.Thumb != nil) {
					t.Fatalf("%s %s: meta %v but thumb %v", c.file, p.name, job.Meta, m.Thumb != nil)
				}
				for _, v := range m.Variants {
					checkSubject(t, fmt.Sprintf("%s %s %v of %d", c.file, p.name, v.Target.Size, len(sizes)), v, c.w, c.h, c.subject, c.isSubject)
				}
			}
		}
	}
}

// checkSubject: the variant is exactly its size, and the subject's pixels in it span the
// subject's box at the variant's scale (a cover of the whole original: every box here spans the
// original's height or width), away from every edge, so none of it is cut.
func checkSubject(t *testing.T, name string, v handler.Variant, w, h int, subject image.Rectangle, is func([3]int) bool) {
	t.Helper()
	img, _ := decode(t, v.Body)
	b := img.Bounds()
	if b.Dx() != v.Target.Size.W || b.Dy() != v.Target.Size.H {
		t.Fatalf("%s: came out %v", name, b.Size())
	}
	found := image.Rectangle{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if is(rgb(img.At(x, y))) {
				found = found.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	scale := max(float64(b.Dx())/float64(w), float64(b.Dy())/float64(h))
	wantW, wantH := float64(subject.Dx())*scale, float64(subject.Dy())*scale
	tol := 2 + 4*scale // resampling blur, and JPEG ringing at the original's scale
	if found.Empty() || found.Min.X < 1 || found.Min.Y < 1 || found.Max.X > b.Dx()-1 || found.Max.Y > b.Dy()-1 {
		t.Errorf("%s: the subject spans %v of %v: cut or missing", name, found, b.Size())
		return
	}
	if d := float64(found.Dx()) - wantW; d < -tol || d > tol {
		t.Errorf("%s: the subject is %d px wide, want %.1f", name, found.Dx(), wantW)
	}
	if d := float64(found.Dy()) - wantH; d < -tol || d > tol {
		t.Errorf("%s: the subject is %d px high, want %.1f", name, found.Dy(), wantH)
	}
}

// TestCropConsistentAcrossSizes: every size of one aspect is the largest one scaled down (mean
// absolute difference under 2 levels per channel), whether the sizes are made together (the
// pre-warm) or each alone (misses).
func TestCropConsistentAcrossSizes(t *testing.T) {
	for _, c := range subjectCases {
		src := fixture(t, c.file)
		for _, crop := range []focus.Source{focus.FromCentre, focus.FromAttention} {
			r := New(Options{Quality: 95, MaxBytes: 40 << 20, MaxPixels: 100_000_000, MaxFrames: 200, Crop: crop})
			var pt *focus.Point
			if crop == focus.FromCentre {
				pt = &c.focus
			}
			sizes := mustSizes("800x600,400x300,200x150")
			all, err := r.Make(src, handler.Job{Targets: handler.TargetsOf(variantpath.Original, sizes...), Focus: pt, Meta: true})
			if err != nil {
				t.Fatal(err)
			}
			largest, _ := decode(t, all.Variants[0].Body)
			for i, s := range sizes[1:] {
				alone, err := r.Make(src, handler.Job{Targets: handler.TargetsOf(variantpath.Original, s), Focus: &all.Focus, FocusSource: all.FocusSource})
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range []struct {
					how  string
					body []byte
				}{{"together", all.Variants[i+1].Body}, {"alone", alone.Variants[0].Body}} {
					img, _ := decode(t, v.body)
					want := image.NewRGBA(img.Bounds())
					draw.CatmullRom.Scale(want, want.Bounds(), largest, largest.Bounds(), draw.Src, nil)
					d := meanAbsDiff(img, want)
					t.Logf("%s %s %v %s %.2f", c.file, crop, s, v.how, d)
					if d >= 2 {
						t.Errorf("%s %s %v made %s: %.2f levels from the 800x600 scaled down", c.file, crop, s, v.how, d)
					}
				}
			}
		}
	}
}

// meanAbsDiff is the mean absolute difference per channel of two images of one size, in levels.
func meanAbsDiff(a, b image.Image) float64 {
	sum, n := 0, 0
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			p, q := rgb(a.At(x, y)), rgb(b.At(x, y))
			for i := range 3 {
				sum += abs(p[i] - q[i])
				n++
			}
		}
	}
	return float64(sum) / float64(n)
}

// TestMetaThumb: the /meta facts come from the same decode: the upright size, and a small
// upright sRGB thumbnail, 16 to 32 px wide, of the original's aspect (orientation 6 is stored
// turned; red is top-left upright).
func TestMetaThumb(t *testing.T) {
	r := newResizer()
	m, err := r.Make(fixture(t, "orient-6.jpg"), handler.Job{Targets: handler.TargetsOf(variantpath.Original, mustSizes("150x100")...), Meta: true})
	if err != nil {
		t.Fatal(err)
	}
	if m.Width != 300 || m.Height != 200 || len(m.Variants) != 1 {
		t.Fatalf("made %dx%d, %d variants", m.Width, m.Height, len(m.Variants))
	}
	b := m.Thumb.Bounds()
	if b.Dx() < 16 || b.Dx() > 32 || b.Dx()*2 != b.Dy()*3 {
		t.Fatalf("thumb %v", b)
	}
	if c := m.Thumb.At(b.Dx()/4, b.Dy()/4); !near(c, color.RGBA{255, 0, 0, 255}, 40) {
		t.Errorf("thumb top-left %v, want red", rgb(c))
	}
	if c := m.Thumb.At(3*b.Dx()/4, 3*b.Dy()/4); !near(c, color.RGBA{255, 255, 255, 255}, 40) {
		t.Errorf("thumb bottom-right %v, want white", rgb(c))
	}
	// /meta alone: no targets, still one decode's facts
	m, err = r.Make(fixture(t, "subject-logo.png"), handler.Job{Meta: true})
	if err != nil || m.Width != 1200 || m.Height != 400 || m.Thumb.Bounds().Dx() < 16 || m.Thumb.Bounds().Dx() > 32 || len(m.Variants) != 0 {
		t.Fatalf("meta alone: %v %dx%d %d variants", err, m.Width, m.Height, len(m.Variants))
	}
}

// The cover path (a focal point with the /meta facts) under every EXIF orientation: the cover is
// the loaded image as stored, the box is mapped into it, and every target comes out upright.
// orient-N.jpg is 300x200 upright: red top-left, green top-right, blue bottom-left, white
// bottom-right. A square box at the left edge (focal point 0,0.5) spans x 0-199, at the right
// (1,0.5) x 100-299.
func TestCropUnderOrientation(t *testing.T) {
	r := newResizer()
	red, green, blue := color.RGBA{255, 0, 0, 255}, color.RGBA{0, 255, 0, 255}, color.RGBA{0, 0, 255, 255}
	for o := 1; o <= 8; o++ {
		src := fixture(t, fmt.Sprintf("orient-%d.jpg", o))
		for _, c := range []struct {
			focus focus.Point
			at    map[[2]float64]color.RGBA // fractions of the square variant
		}{
			{focus.Point{X: 0, Y: 0.5}, map[[2]float64]color.RGBA{{0.1, 0.25}: red, {0.1, 0.75}: blue, {0.9, 0.25}: green}},
			{focus.Point{X: 1, Y: 0.5}, map[[2]float64]color.RGBA{{0.9, 0.25}: green, {0.1, 0.25}: red}},
		} {
			m, err := r.Make(src, handler.Job{Targets: handler.TargetsOf(variantpath.Original, mustSizes("150x100,100x100,50x50")...), Focus: &c.focus, Meta: true})
			if err != nil {
				t.Fatal(err)
			}
			if tb := m.Thumb.Bounds(); m.Width != 300 || m.Height != 200 || tb.Dx() < 16 || tb.Dx() > 32 || tb.Dx()*2 != tb.Dy()*3 {
				t.Fatalf("orientation %d: %dx%d", o, m.Width, m.Height)
			}
			for _, v := range m.Variants[1:] {
				img, _ := decode(t, v.Body)
				b := img.Bounds()
				if b.Dx() != v.Target.Size.W || b.Dy() != v.Target.Size.H {
					t.Fatalf("orientation %d: %v came out %v", o, v.Target.Size, b.Size())
				}
				for f, want := range c.at {
					if px := img.At(int(f[0]*float64(b.Dx())), int(f[1]*float64(b.Dy()))); !near(px, want, 40) {
						t.Errorf("orientation %d, focus %v, %v at %v: %v, want %v", o, c.focus, v.Target.Size, f, rgb(px), want)
					}
				}
			}
		}
	}
}

// coverPlan (pure): which cover, and the steps per aspect: the largest of each ratio cut from the
// cover, the smaller ones of that ratio reduced from the one before.
func TestCoverPlan(t *testing.T) {
	sizes := mustSizes("400x300,1200x675,800x600,200x150")
	for _, c := range []struct {
		name   string
		src    Source
		w, h   int // the cover: 0 is the loaded image as stored
		shrink int
		loader Loader
	}{
		{"JPEG: as loaded, shrunk on load", jpegSource(4000, 3000, 6), 0, 0, 2, LoadJPEG},
		{"JPEG with a profile: resampled to cover", Source{Format: format.JPEG, Width: 4000, Height: 3000, Orientation: 1, ICC: true}, 1202, 902, 2, LoadJPEG},
		{"PNG with alpha: resampled to cover", Source{Format: format.PNG, Width: 4000, Height: 3000, Orientation: 1, Alpha: true}, 1202, 902, 1, LoadPNG},
		{"WebP: thumbnail to cover", Source{Format: format.WebP, Width: 4000, Height: 3000, Orientation: 1}, 1202, 902, 1, LoadThumbnail},
		{"WebP smaller than a target: its own size, never enlarged whole", Source{Format: format.WebP, Width: 300, Height: 3000, Orientation: 1}, 300, 3000, 1, LoadThumbnail},
	} {
		p, err := coverPlan(c.src, Targets(c.src, sizes, 80))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if p.W != c.w || p.H != c.h || p.Shrink != c.shrink || p.Loader != c.loader || !p.Hold || p.Fill || p.Cut != (Rect{}) {
			t.Errorf("%s: cover %dx%d shrink %d loader %d hold %v fill %v cut %v", c.name, p.W, p.H, p.Shrink, p.Loader, p.Hold, p.Fill, p.Cut)
		}
		// 16:9 first (the largest), then 4:3 at 800, 400, 200.
		want := []struct {
			target    int
			op        Op
			fromFirst bool
		}{{1, OpThumbnail, true}, {2, OpThumbnail, true}, {0, OpResize, false}, {3, OpResize, false}}
		if len(p.Steps) != len(want) {
			t.Fatalf("%s: %d steps", c.name, len(p.Steps))
		}
		for i, w := range want {
			s := p.Steps[i]
			op := w.op
			if c.src.Alpha && op == OpResize {
				op = OpThumbnail // premultiplied, as the chain does
			}
			if s.Target != w.target || s.Op != op || s.FromFirst != w.fromFirst || (s.Op == OpThumbnail && !s.Keep && w.fromFirst) {
				t.Errorf("%s: step %d = %+v, want target %d op %d from first %v", c.name, i, s, w.target, op, w.fromFirst)
			}
		}
	}
}

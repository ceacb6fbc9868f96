package focus

import (
	"image"
	"testing"

	_ "image/jpeg"
	_ "image/png"

	"github.com/imgorigin/imgorigin/internal/imagetest"
)

// The fixtures with a known subject (testdata/fixtures/README.md, "Known subjects"). subject is
// the exact bounding box, x0,y0 inclusive to x1,y1 exclusive.
var subjects = []struct {
	file    string
	w, h    int
	subject image.Rectangle
	bg      func(y int) [3]int // the background at row y
}{
	{"subject-landscape.jpg", 2000, 800, image.Rect(1600, 250, 1900, 650), sky(800)},
	{"subject-portrait.jpg", 900, 1600, image.Rect(300, 80, 600, 480), sky(1600)},
	{"subject-logo.png", 1200, 400, image.Rect(70, 120, 450, 280), func(int) [3]int { return [3]int{255, 255, 255} }},
}

// sky is gen-subjects.go's gradient, from (176,190,204) at the top to (150,162,148) at row h-1.
func sky(h int) func(y int) [3]int {
	return func(y int) [3]int {
		t := float64(y) / float64(h-1)
		return [3]int{int(176 - 26*t + 0.5), int(190 - 28*t + 0.5), int(204 - 56*t + 0.5)}
	}
}

// TestSubjectFixtures checks the facts the README states: the size, the background everywhere
// outside the subject's box (but for JPEG's ringing within 16 px of it), and that the subject
// reaches each edge of its box.
func TestSubjectFixtures(t *testing.T) {
	for _, s := range subjects {
		img := imagetest.DecodeFile(t, "../../testdata/fixtures/"+s.file)
		if r := img.Bounds(); r.Dx() != s.w || r.Dy() != s.h {
			t.Fatalf("%s is %dx%d, want %dx%d", s.file, r.Dx(), r.Dy(), s.w, s.h)
		}
		margin := s.subject.Inset(-16) // one 16x16 JPEG block of 4:2:0 chroma
		found := image.Rectangle{}
		for y := 0; y < s.h; y++ {
			want := s.bg(y)
			for x := 0; x < s.w; x++ {
				got := rgb(img, x, y)
				if d := diff(got, want); d > 6 {
					if !image.Pt(x, y).In(margin) {
						t.Fatalf("%s: (%d,%d) = %v, want background %v", s.file, x, y, got, want)
					}
					if d > 40 { // plainly not background: part of the subject
						found = found.Union(image.Rect(x, y, x+1, y+1))
					}
				}
			}
		}
		if found != s.subject {
			t.Errorf("%s: the subject spans %v, the README says %v", s.file, found, s.subject)
		}
	}
}

// TestSubjectBoxes: with the focal point at the subject's centre, the box of every aspect that
// can hold the subject does, at every size of it (the same box), and a centre crop does not.
func TestSubjectBoxes(t *testing.T) {
	sizes := [][2]int{{800, 600}, {400, 300}, {200, 150}}
	for _, s := range subjects {
		c := s.subject.Min.Add(s.subject.Max).Div(2)
		p := Point{float64(c.X) / float64(s.w), float64(c.Y) / float64(s.h)}
		for _, sz := range sizes {
			b := Crop(s.w, s.h, sz[0], sz[1], p)
			if !b.Contains(s.subject.Min.X, s.subject.Min.Y, s.subject.Max.X, s.subject.Max.Y) {
				t.Errorf("%s at %dx%d: focal point %v gives %v, which cuts the subject %v", s.file, sz[0], sz[1], p, b, s.subject)
			}
			if cb := Crop(s.w, s.h, sz[0], sz[1], Centre); cb.Contains(s.subject.Min.X, s.subject.Min.Y, s.subject.Max.X, s.subject.Max.Y) {
				t.Errorf("%s at %dx%d: a centre crop %v holds the subject: the fixture proves nothing", s.file, sz[0], sz[1], cb)
			}
		}
		for _, r := range [][2]int{{16, 9}, {3, 2}} {
			if b := Crop(s.w, s.h, r[0], r[1], p); !b.Contains(s.subject.Min.X, s.subject.Min.Y, s.subject.Max.X, s.subject.Max.Y) {
				t.Errorf("%s at %d:%d: %v cuts the subject %v", s.file, r[0], r[1], b, s.subject)
			}
		}
	}
}

func rgb(img image.Image, x, y int) [3]int {
	r, g, b, _ := img.At(x, y).RGBA()
	return [3]int{int(r >> 8), int(g >> 8), int(b >> 8)}
}

func diff(a, b [3]int) int {
	d := 0
	for i := range a {
		d = max(d, a[i]-b[i], b[i]-a[i])
	}
	return d
}

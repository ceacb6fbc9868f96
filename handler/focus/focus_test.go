package focus

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	good := map[string]Point{
		"0.32,0.41":         {0.32, 0.41},
		"0,0":               {0, 0},
		"1,1":               {1, 1},
		"1.0,0.5":           {1, 0.5},
		" 0.25 , 0.75 ":     {0.25, 0.75},
		"0.123456,0.000001": {0.123456, 0.000001},
		"1.000000,0":        {1, 0},
	}
	for in, want := range good {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	bad := []string{
		"", ",", "0.5", "0.5,", ",0.5", "0.5,0.5,0.5", "0.5;0.5", "0.5 0.5",
		".5,.5", "0.5,5e-1", "+0.5,0.5", "-0,0.5", "-0.1,0.5", "1.01,0.5", "1.5,0.5", "2,0",
		"0.5,NaN", "Inf,0.5", "0x1p-1,0.5", "50%,50%", "0.1234567,0.5", "0.,0.5", "00.5,0.5",
		"0.5,0.5\n", "\t0.5,0.5", "0,5,0,5", "0.5,0.５", strings.Repeat("0", 40) + ",0",
	}
	for _, in := range bad {
		p, err := Parse(in)
		if !errors.Is(err, ErrBadPoint) {
			t.Errorf("Parse(%q) = %v, %v; want ErrBadPoint", in, p, err)
		}
		if err != nil && len(err.Error()) > 200 {
			t.Errorf("Parse(%q): reason of %d bytes, want a short one", in, len(err.Error()))
		}
	}
}

func TestStringRoundTrip(t *testing.T) {
	for _, p := range []Point{{0.32, 0.41}, {0, 1}, {0.5, 0.5}, {1.0 / 3, 2.0 / 3}, {0.9999999, 1e-9}} {
		q, err := Parse(p.String())
		if err != nil {
			t.Fatalf("Parse(%q): %v", p.String(), err)
		}
		if d := max(abs(q.X-p.X), abs(q.Y-p.Y)); d > 5e-7 {
			t.Errorf("%v -> %q -> %v, off by %g", p, p.String(), q, d)
		}
	}
	if s := (Point{0.32, 0.41}).String(); s != "0.32,0.41" {
		t.Errorf("String = %q, want 0.32,0.41", s)
	}
}

func abs(f float64) float64 { return max(f, -f) }

func TestFromObjectMetadata(t *testing.T) {
	p, ok, err := FromObjectMetadata(map[string]string{"other": "x", "focal-point": "0.32,0.41"})
	if err != nil || !ok || p != (Point{0.32, 0.41}) {
		t.Errorf("lower case key: %v %v %v", p, ok, err)
	}
	p, ok, err = FromObjectMetadata(map[string]string{"Focal-Point": "1,0"})
	if err != nil || !ok || p != (Point{1, 0}) {
		t.Errorf("mixed case key: %v %v %v", p, ok, err)
	}
	p, ok, err = FromObjectMetadata(map[string]string{"X-Amz-Meta-Focal-Point": "0,1"})
	if err != nil || !ok || p != (Point{0, 1}) {
		t.Errorf("prefixed key: %v %v %v", p, ok, err)
	}
	if _, ok, err = FromObjectMetadata(map[string]string{"focal": "0.5,0.5"}); ok || err != nil {
		t.Errorf("no focal-point key: ok %v err %v, want neither", ok, err)
	}
	p, ok, err = FromObjectMetadata(map[string]string{"Focal-Point": "0.9,0.9", "focal-point": "0.1,0.1", "FOCAL-POINT": "0.8,0.8"})
	if err != nil || !ok || p != (Point{0.1, 0.1}) {
		t.Errorf("the exact key must win over other spellings: %v %v %v", p, ok, err)
	}
	if _, ok, err = FromObjectMetadata(nil); ok || err != nil {
		t.Errorf("nil metadata: ok %v err %v", ok, err)
	}
	if _, ok, err = FromObjectMetadata(map[string]string{"focal-point": "left"}); ok || !errors.Is(err, ErrBadPoint) {
		t.Errorf("bad value: ok %v err %v, want not ok and ErrBadPoint", ok, err)
	}
}

func TestFromPixel(t *testing.T) {
	cases := []struct {
		x, y, w, h int
		want       Point
	}{
		{0, 0, 1, 1, Point{0.5, 0.5}},
		{0, 0, 100, 50, Point{0.005, 0.01}},
		{99, 49, 100, 50, Point{0.995, 0.99}},
		{500, -3, 100, 50, Point{0.995, 0.01}}, // clamped into the image
		{3, 3, 0, 10, Centre},                  // no image
	}
	for _, c := range cases {
		if got := FromPixel(c.x, c.y, c.w, c.h); abs(got.X-c.want.X) > 1e-12 || abs(got.Y-c.want.Y) > 1e-12 {
			t.Errorf("FromPixel(%d,%d,%d,%d) = %v, want %v", c.x, c.y, c.w, c.h, got, c.want)
		}
	}
}

func TestCrop(t *testing.T) {
	cases := []struct {
		name         string
		w, h, tw, th int
		p            Point
		want         Box
	}{
		{"same aspect, whole image", 800, 600, 4, 3, Centre, Box{0, 0, 800, 600}},
		{"landscape to 4:3, centre", 2000, 800, 800, 600, Centre, Box{466, 0, 1067, 800}},
		{"landscape to 4:3, focal right", 2000, 800, 800, 600, Point{0.875, 0.5}, Box{933, 0, 1067, 800}},
		{"landscape to 4:3, focal at right edge", 2000, 800, 800, 600, Point{1, 0}, Box{933, 0, 1067, 800}},
		{"landscape to 4:3, focal at left edge", 2000, 800, 800, 600, Point{0, 1}, Box{0, 0, 1067, 800}},
		{"portrait to 4:3, focal near top", 900, 1600, 800, 600, Point{0.5, 0.175}, Box{0, 0, 900, 675}},
		{"portrait to 4:3, focal at bottom", 900, 1600, 400, 300, Point{0.5, 1}, Box{0, 925, 900, 675}},
		{"portrait to 4:3, focal mid-lower", 900, 1600, 200, 150, Point{0.5, 0.7}, Box{0, 782, 900, 675}},
		{"top-left corner", 1000, 1000, 16, 9, Point{0, 0}, Box{0, 0, 1000, 563}},
		{"bottom-right corner", 1000, 1000, 9, 16, Point{1, 1}, Box{437, 0, 563, 1000}},
		{"1x1 image", 1, 1, 800, 600, Point{0.9, 0.1}, Box{0, 0, 1, 1}},
		{"1-pixel-high strip", 4000, 1, 800, 600, Point{0.25, 0.5}, Box{999, 0, 1, 1}},
		{"1-pixel-wide strip", 1, 4000, 800, 600, Point{0.5, 0.25}, Box{0, 999, 1, 1}},
		{"extreme 40:1 to 4:3", 4000, 100, 800, 600, Centre, Box{1933, 0, 133, 100}},
		{"extreme 1:40 to 4:3", 100, 4000, 800, 600, Centre, Box{0, 1962, 100, 75}},
		{"4:3 image to extreme 100:1", 800, 600, 8000, 80, Point{0.5, 0}, Box{0, 0, 800, 8}},
		{"4:3 image to extreme 1:100", 800, 600, 10, 1000, Point{1, 0.5}, Box{794, 0, 6, 600}},
		{"extreme target rounds up to 1 px", 100, 100, 8192, 1, Point{0.5, 0.5}, Box{0, 49, 100, 1}},
		{"box never wider than the image", 3, 1000, 1, 1, Point{0.5, 0.5}, Box{0, 498, 3, 3}},
		{"focal point out of range is clamped", 2000, 800, 4, 3, Point{7, -3}, Box{933, 0, 1067, 800}},
		{"empty image", 0, 0, 4, 3, Centre, Box{0, 0, 0, 0}},
		{"no target", 640, 480, 0, 3, Centre, Box{0, 0, 640, 480}},
	}
	for _, c := range cases {
		if got := Crop(c.w, c.h, c.tw, c.th, c.p); got != c.want {
			t.Errorf("%s: Crop(%d,%d,%d,%d,%v) = %v, want %v", c.name, c.w, c.h, c.tw, c.th, c.p, got, c.want)
		}
	}
}

// TestCropProperties checks, over random images, targets and focal points: the box lies inside
// the image, is the largest of its ratio (one side full, the other the rounded ratio), is the
// same for every size of one ratio, holds the focal point, is centred on it unless an edge is
// in the way, and with the centre point is libvips' centre crop.
func TestCropProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 12))
	dim := func() int {
		if r.IntN(8) == 0 {
			return 1 + r.IntN(3)
		}
		return 1 + r.IntN(9000)
	}
	for i := 0; i < 20000; i++ {
		w, h, tw, th := dim(), dim(), 1+r.IntN(64), 1+r.IntN(64)
		p := Point{r.Float64(), r.Float64()}
		if i%10 == 0 {
			p = Point{float64(r.IntN(2)), float64(r.IntN(2))} // a corner
		}
		b := Crop(w, h, tw, th, p)
		if b.X < 0 || b.Y < 0 || b.W < 1 || b.H < 1 || b.X+b.W > w || b.Y+b.H > h {
			t.Fatalf("Crop(%d,%d,%d,%d,%v) = %v: outside the image", w, h, tw, th, p, b)
		}
		if b.W != w && b.H != h {
			t.Fatalf("Crop(%d,%d,%d,%d,%v) = %v: neither side full", w, h, tw, th, p, b)
		}
		// the other side is the ratio, rounded: within half a pixel (or clamped to 1)
		if b.W == w && b.H > 1 && b.H != h && abs(float64(b.H)-float64(w)*float64(th)/float64(tw)) > 0.5 {
			t.Fatalf("Crop(%d,%d,%d,%d) = %v: height not the rounded ratio", w, h, tw, th, b)
		}
		if b.H == h && b.W > 1 && b.W != w && abs(float64(b.W)-float64(h)*float64(tw)/float64(th)) > 0.5 {
			t.Fatalf("Crop(%d,%d,%d,%d) = %v: width not the rounded ratio", w, h, tw, th, b)
		}
		for _, k := range []int{2, 3, 7, 50} {
			if bk := Crop(w, h, tw*k, th*k, p); bk != b {
				t.Fatalf("Crop(%d,%d,%d,%d,%v) = %v but at %d times the size %v", w, h, tw, th, p, b, k, bk)
			}
		}
		fx, fy := p.X*float64(w), p.Y*float64(h)
		if fx < float64(b.X) || fx > float64(b.X+b.W) || fy < float64(b.Y) || fy > float64(b.Y+b.H) {
			t.Fatalf("Crop(%d,%d,%d,%d,%v) = %v: focal point (%.1f,%.1f) outside the box", w, h, tw, th, p, b, fx, fy)
		}
		if cx := float64(b.X) + float64(b.W)/2; b.X > 0 && b.X+b.W < w && abs(cx-fx) > 1 {
			t.Fatalf("Crop(%d,%d,%d,%d,%v) = %v: free to move but centred at x %.1f, not %.1f", w, h, tw, th, p, b, cx, fx)
		}
		if cy := float64(b.Y) + float64(b.H)/2; b.Y > 0 && b.Y+b.H < h && abs(cy-fy) > 1 {
			t.Fatalf("Crop(%d,%d,%d,%d,%v) = %v: free to move but centred at y %.1f, not %.1f", w, h, tw, th, p, b, cy, fy)
		}
		if c := Crop(w, h, tw, th, Centre); c.X != (w-c.W)/2 || c.Y != (h-c.H)/2 {
			t.Fatalf("Crop(%d,%d,%d,%d,Centre) = %v, want libvips' centre crop at (%d,%d)", w, h, tw, th, c, (w-c.W)/2, (h-c.H)/2)
		}
	}
}

func TestBoxContains(t *testing.T) {
	b := Box{10, 20, 100, 50}
	if !b.Contains(10, 20, 110, 70) || b.Contains(9, 20, 110, 70) || b.Contains(10, 20, 111, 70) || b.Contains(10, 19, 20, 30) || b.Contains(10, 20, 20, 71) {
		t.Error("Contains is wrong at the edges")
	}
	if s := b.String(); s != "100x50+10+20" {
		t.Errorf("String = %q", s)
	}
}

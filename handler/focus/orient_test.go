package focus

import (
	"fmt"
	"testing"

	"github.com/imgorigin/imgorigin/internal/imagetest"
)

// TestStoredOrientFixtures maps each quadrant of the upright marked image (300x200: top-left
// red, top-right green, bottom-left blue, bottom-right white) into testdata/fixtures/orient-N.jpg
// as stored (Go's decoder does not apply EXIF orientation) and checks the colour there.
func TestStoredOrientFixtures(t *testing.T) {
	quadrants := []struct {
		name string
		b    Box
		want [3]int
	}{
		{"red", Box{0, 0, 150, 100}, [3]int{255, 0, 0}},
		{"green", Box{150, 0, 150, 100}, [3]int{0, 255, 0}},
		{"blue", Box{0, 100, 150, 100}, [3]int{0, 0, 255}},
		{"white", Box{150, 100, 150, 100}, [3]int{255, 255, 255}},
	}
	for o := 1; o <= 8; o++ {
		img := imagetest.DecodeFile(t, fmt.Sprintf("../../testdata/fixtures/orient-%d.jpg", o))
		sw, sh := 300, 200
		if o >= 5 {
			sw, sh = 200, 300
		}
		if r := img.Bounds(); r.Dx() != sw || r.Dy() != sh {
			t.Fatalf("orient-%d.jpg is %v, want %dx%d", o, r, sw, sh)
		}
		for _, q := range quadrants {
			s := q.b.Stored(300, 200, o)
			if s.X < 0 || s.Y < 0 || s.X+s.W > sw || s.Y+s.H > sh {
				t.Fatalf("orientation %d: %s %v maps to %v, outside %dx%d", o, q.name, q.b, s, sw, sh)
			}
			// every pixel 8 px or more inside the mapped box has the quadrant's colour
			for y := s.Y + 8; y < s.Y+s.H-8; y += 7 {
				for x := s.X + 8; x < s.X+s.W-8; x += 7 {
					if got := rgb(img, x, y); diff(got, q.want) > 8 {
						t.Fatalf("orientation %d: %s maps to %v, but stored (%d,%d) is %v", o, q.name, s, x, y, got)
					}
				}
			}
		}
	}
}

func TestStoredRoundTrip(t *testing.T) {
	b := Box{10, 20, 30, 40}
	// applying an orientation's mapping and then its inverse's gives the box back
	inverse := map[int]int{1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 8, 7: 7, 8: 6}
	for o := 1; o <= 8; o++ {
		s := b.Stored(100, 200, o)
		sw, sh := 100, 200
		if o >= 5 {
			sw, sh = 200, 100
		}
		if back := s.Stored(sw, sh, inverse[o]); back != b {
			t.Errorf("orientation %d: %v -> %v -> %v", o, b, s, back)
		}
	}
	if s := b.Stored(100, 200, 0); s != b {
		t.Errorf("unknown orientation moved the box: %v", s)
	}
}

func TestScale(t *testing.T) {
	cases := []struct {
		b            Box
		w, h, tw, th int
		want         Box
	}{
		{Box{933, 0, 1067, 800}, 2000, 800, 250, 100, Box{116, 0, 134, 100}}, // 1/8 shrink-on-load
		{Box{0, 0, 900, 675}, 900, 1600, 450, 800, Box{0, 0, 450, 338}},
		{Box{1, 1, 1, 1}, 4, 4, 1, 1, Box{0, 0, 1, 1}},
		{Box{999, 0, 1, 1}, 4000, 1, 500, 1, Box{124, 0, 1, 1}},
		{Box{0, 0, 10, 10}, 0, 10, 5, 5, Box{}},
	}
	for _, c := range cases {
		if got := c.b.Scale(c.w, c.h, c.tw, c.th); got != c.want {
			t.Errorf("%v.Scale(%d,%d,%d,%d) = %v, want %v", c.b, c.w, c.h, c.tw, c.th, got, c.want)
		}
	}
}

package focus

import (
	"errors"
	"testing"
)

// FuzzParse: any value either parses to a point inside the image whose String parses back to
// it, or fails with ErrBadPoint and a short reason; never a panic.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"0.32,0.41", "1,0", " 0.5 , 0.5 ", "0.5", ".5,.5", "1.000001,0", "NaN,0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		p, err := Parse(v)
		if err != nil {
			if !errors.Is(err, ErrBadPoint) || len(err.Error()) > 200 {
				t.Fatalf("Parse(%q): %v", v, err)
			}
			return
		}
		if !(p.X >= 0 && p.X <= 1 && p.Y >= 0 && p.Y <= 1) {
			t.Fatalf("Parse(%q) = %v, outside [0,1]", v, p)
		}
		q, err := Parse(p.String())
		if err != nil || q != p {
			t.Fatalf("Parse(%q) = %v, String %q parses to %v, %v", v, p, p.String(), q, err)
		}
		b := Crop(1000, 10, 4, 3, p)
		if b.X < 0 || b.X+b.W > 1000 || b.H != 10 {
			t.Fatalf("Crop at %v = %v", p, b)
		}
	})
}

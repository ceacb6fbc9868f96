package imaging

import (
	"testing"

	"github.com/imgorigin/imgorigin/handler"
	"github.com/imgorigin/imgorigin/handler/format"
	"github.com/imgorigin/imgorigin/handler/size"
	"github.com/imgorigin/imgorigin/handler/variantpath"
)

// Every format token of every kind of original, from one decode: the format the variant is
// written in, its exact size, and whether it kept the original's alpha.
func TestMakeEveryFormat(t *testing.T) {
	r := newResizer()
	s := size.Size{W: 400, H: 300}
	jobs := []handler.Target{{Size: s, Format: variantpath.Original}, {Size: s, Format: variantpath.WebP}, {Size: s, Format: variantpath.AVIF}}
	for _, c := range []struct {
		file     string
		original format.Format // what "original" is written in
		alpha    bool
	}{
		{"bands-landscape.jpg", format.JPEG, false},
		{"alpha.png", format.PNG, true}, // never a JPEG on white
		{"gray-alpha.png", format.PNG, true},
		{"photo.heic", format.JPEG, false},
		{"photo.webp", format.JPEG, false}, // a viewer that did not take WebP gets no WebP
		{"photo.avif", format.JPEG, false},
		{"animated.gif", format.PNG, false}, // the first frame, as PNG (no GIF writer: format.Output); opaque fixture
	} {
		made, err := r.Make(fixture(t, c.file), handler.Job{Targets: jobs})
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if len(made.Variants) != 3 {
			t.Fatalf("%s: %d variants", c.file, len(made.Variants))
		}
		for i, want := range []format.Format{c.original, format.WebP, format.AVIF} {
			v := made.Variants[i]
			if v.Target != jobs[i] {
				t.Errorf("%s: variant %d is for %+v, want %+v", c.file, i, v.Target, jobs[i])
			}
			if got := format.Sniff(v.Body); got != want || v.ContentType != want.ContentType() {
				t.Errorf("%s as %s: %s (%s), want %s", c.file, jobs[i].Format, got, v.ContentType, want)
			}
			h, err := readHeader(v.Body)
			if err != nil || h.Width != 400 || h.Height != 300 {
				t.Errorf("%s as %s: %dx%d (%v), want 400x300", c.file, jobs[i].Format, h.Width, h.Height, err)
			}
			if want != format.GIF && h.Alpha != c.alpha {
				t.Errorf("%s as %s: alpha %v, want %v", c.file, jobs[i].Format, h.Alpha, c.alpha)
			}
		}
	}
}

// The alpha of a transparent PNG survives AVIF and WebP pixel for pixel where it matters:
// each is made into a PNG again ("original" of a WebP or AVIF with alpha) and the transparent
// left half is still transparent, the right half opaque.
func TestAlphaThroughWebPAndAVIF(t *testing.T) {
	r := newResizer()
	s := size.Size{W: 400, H: 300}
	made, err := r.Make(fixture(t, "alpha.png"), handler.Job{Targets: []handler.Target{{Size: s, Format: variantpath.WebP}, {Size: s, Format: variantpath.AVIF}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range made.Variants {
		back, err := r.Make(v.Body, handler.Job{Targets: []handler.Target{{Size: s, Format: variantpath.Original}}})
		if err != nil {
			t.Fatalf("%s: %v", v.Target.Format, err)
		}
		img, kind := decode(t, back.Variants[0].Body)
		if kind != "png" {
			t.Fatalf("original of a %s with alpha came out %s", v.Target.Format, kind)
		}
		if _, _, _, a := img.At(50, 150).RGBA(); a>>8 > 8 {
			t.Errorf("%s: left side alpha %d, want transparent", v.Target.Format, a>>8)
		}
		if _, _, _, a := img.At(350, 150).RGBA(); a>>8 < 247 {
			t.Errorf("%s: right side alpha %d, want opaque", v.Target.Format, a>>8)
		}
	}
}

// The AVIF and WebP settings of docs/EDGE.md, at the default quality.
func TestEncoderSettingsForTheEdge(t *testing.T) {
	if e := EncoderFor(format.AVIF, 80, false); e.Quality != 63 || e.Effort != 0 {
		t.Errorf("AVIF at 80: %+v, want Q63 effort 0", e)
	}
	if e := EncoderFor(format.WebP, 80, true); e.Quality != 80 || e.Flatten {
		t.Errorf("WebP at 80: %+v, want Q80 with alpha", e)
	}
	if _, err := OutputFormat(Source{Format: format.JPEG}, "gif"); err == nil {
		t.Error("an unknown format token was accepted")
	}
}

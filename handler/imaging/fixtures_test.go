package imaging

import (
	"fmt"
	"image"
	"image/color"
	_ "image/gif"
	"testing"

	"github.com/imgorigin/imgorigin/handler/format"
	"github.com/imgorigin/imgorigin/handler/size"
)

// Every EXIF orientation comes out upright and unmirrored: the marked image is 300x200 upright
// with red top-left, green top-right, blue bottom-left, white bottom-right (testdata/fixtures).
func TestEXIFOrientations(t *testing.T) {
	r := newResizer()
	quads := []struct {
		x, y float64
		c    color.RGBA
		name string
	}{
		{0.25, 0.25, color.RGBA{255, 0, 0, 255}, "red top-left"},
		{0.75, 0.25, color.RGBA{0, 255, 0, 255}, "green top-right"},
		{0.25, 0.75, color.RGBA{0, 0, 255, 255}, "blue bottom-left"},
		{0.75, 0.75, color.RGBA{255, 255, 255, 255}, "white bottom-right"},
	}
	for o := 1; o <= 8; o++ {
		src := fixture(t, fmt.Sprintf("orient-%d.jpg", o))
		// One size alone (the GET path) and several sizes from one decode (the pre-warm path).
		for _, sizes := range [][]size.Size{mustSizes("150x100"), mustSizes("300x200,150x100,60x40")} {
			vs, err := r.Resize(src, sizes)
			if err != nil {
				t.Fatalf("orientation %d: %v", o, err)
			}
			for _, v := range vs {
				img, _ := decode(t, v.Body)
				b := img.Bounds()
				if b.Dx() != v.Target.Size.W || b.Dy() != v.Target.Size.H {
					t.Fatalf("orientation %d: %v came out %v", o, v.Target.Size, b.Size())
				}
				for _, q := range quads {
					px := img.At(int(q.x*float64(b.Dx())), int(q.y*float64(b.Dy())))
					if !near(px, q.c, 40) {
						t.Errorf("orientation %d, %v: want %s, got %v", o, v.Target.Size, q.name, rgb(px))
					}
				}
			}
		}
	}
}

// Wide-gamut and CMYK originals are converted to sRGB through their profiles, not reinterpreted.
// Expected values are from `vips icc_transform --embedded ... srgb` (see testdata/fixtures).
func TestColourConvertedToSRGB(t *testing.T) {
	r := newResizer()
	cases := []struct {
		file      string
		converted color.RGBA // through the embedded profile
		naive     color.RGBA // the numbers taken as sRGB
	}{
		{"adobergb.jpg", color.RGBA{66, 151, 202, 255}, color.RGBA{100, 150, 199, 255}},
		{"display-p3.jpg", color.RGBA{44, 183, 90, 255}, color.RGBA{91, 180, 100, 255}},
		{"cmyk.jpg", color.RGBA{245, 134, 53, 255}, color.RGBA{255, 102, 0, 255}},
	}
	for _, c := range cases {
		for _, sizes := range [][]size.Size{mustSizes("200x150"), mustSizes("200x150,40x30")} {
			vs, err := r.Resize(fixture(t, c.file), sizes)
			if err != nil {
				t.Fatalf("%s: %v", c.file, err)
			}
			img, kind := decode(t, vs[0].Body)
			if kind != "jpeg" {
				t.Fatalf("%s: %s out", c.file, kind)
			}
			px := img.At(100, 75)
			if !near(px, c.converted, 8) {
				t.Errorf("%s: centre %v, want about %v (converted)", c.file, rgb(px), c.converted)
			}
			if near(px, c.naive, 8) {
				t.Errorf("%s: centre %v is the unconverted value", c.file, rgb(px))
			}
			if cfg, _, err := image.DecodeConfig(bytesReader(vs[0].Body)); err != nil || cfg.ColorModel != color.YCbCrModel {
				t.Errorf("%s: output colour model %v (%v), want YCbCr (3-band sRGB JPEG)", c.file, cfg.ColorModel, err)
			}
		}
	}
}

func TestFormatsStayWhatTheyAre(t *testing.T) {
	r := newResizer()
	cases := []struct {
		file string
		want format.Format
	}{
		{"photo.heic", format.JPEG},
		{"photo.webp", format.WebP},
		{"photo.avif", format.AVIF},
		{"animated.gif", format.PNG}, // GIF out is PNG: format.Format.Output
		{"alpha.png", format.PNG},
		{"gray-alpha.png", format.PNG},
		{"sixteen-bit.png", format.PNG},
		{"bands-landscape.png", format.PNG},
	}
	for _, c := range cases {
		vs, err := r.Resize(fixture(t, c.file), mustSizes("400x300"))
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		v := vs[0]
		if got := format.Sniff(v.Body); got != c.want || v.ContentType != c.want.ContentType() {
			t.Errorf("%s: came out %s (%s), want %s", c.file, got, v.ContentType, c.want)
		}
		h, err := readHeader(v.Body)
		if err != nil || h.Width != 400 || h.Height != 300 {
			t.Errorf("%s: output %dx%d (%v), want 400x300", c.file, h.Width, h.Height, err)
		}
	}
}

// alpha.png: left half fully transparent, right half opaque. The variant keeps that.
func TestPNGAlphaKept(t *testing.T) {
	vs, err := newResizer().Resize(fixture(t, "alpha.png"), mustSizes("400x300"))
	if err != nil {
		t.Fatal(err)
	}
	img, kind := decode(t, vs[0].Body)
	if kind != "png" {
		t.Fatalf("%s out", kind)
	}
	if _, _, _, a := img.At(50, 150).RGBA(); a != 0 {
		t.Errorf("left side alpha %d, want transparent", a>>8)
	}
	if _, _, _, a := img.At(350, 150).RGBA(); a>>8 != 255 {
		t.Errorf("right side alpha %d, want opaque", a>>8)
	}
}

// A crop region given in upright pixels lands on the same quadrant whatever the stored
// orientation: the plan maps it to stored pixels, libvips cuts it, then turns the result.
func TestCropRegionEXIFOrientations(t *testing.T) {
	r := newResizer()
	for o := 1; o <= 8; o++ {
		src := fixture(t, fmt.Sprintf("orient-%d.jpg", o))
		in, err := r.inspect(src)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []struct {
			region Rect
			want   color.RGBA
			name   string
		}{
			{Rect{0, 0, 150, 100}, color.RGBA{255, 0, 0, 255}, "red top-left"},
			{Rect{150, 0, 150, 100}, color.RGBA{0, 255, 0, 255}, "green top-right"},
			{Rect{0, 100, 150, 100}, color.RGBA{0, 0, 255, 255}, "blue bottom-left"},
			{Rect{160, 110, 130, 80}, color.RGBA{255, 255, 255, 255}, "white bottom-right"},
		} {
			for _, sizes := range []string{"60x40", "60x40,30x20", "60x40,40x40"} {
				p, err := NewPlan(in, Targets(in, mustSizes(sizes), 90), &q.region)
				if err != nil {
					t.Fatal(err)
				}
				bodies, err := run(src, p)
				if err != nil {
					t.Fatalf("orientation %d %s: %v", o, q.name, err)
				}
				for i, s := range p.Steps {
					img, _ := decode(t, bodies[i])
					b := img.Bounds()
					if b.Dx() != s.W || b.Dy() != s.H {
						t.Fatalf("orientation %d %s: %dx%d came out %v", o, q.name, s.W, s.H, b.Size())
					}
					for _, pt := range []image.Point{{2, 2}, {b.Dx() - 3, 2}, {2, b.Dy() - 3}, {b.Dx() - 3, b.Dy() - 3}, {b.Dx() / 2, b.Dy() / 2}} {
						if px := img.At(pt.X, pt.Y); !near(px, q.want, 40) {
							t.Errorf("orientation %d, %s %dx%d: pixel %v is %v", o, q.name, s.W, s.H, pt, rgb(px))
						}
					}
				}
			}
		}
	}
}

package meta

import (
	"errors"
	"image"
	"image/color"
	"math"
	"strings"
	"testing"

	"github.com/bbrks/go-blurhash"
	"github.com/bbrks/go-blurhash/base83"

	_ "image/jpeg"
	_ "image/png"

	"github.com/imgorigin/imgorigin/handler/focus"
	"github.com/imgorigin/imgorigin/handler/size"
	"github.com/imgorigin/imgorigin/handler/variantpath"
	"github.com/imgorigin/imgorigin/internal/imagetest"
)

var defaultSizes = []size.Size{{W: 800, H: 600}, {W: 400, H: 300}, {W: 200, H: 150}}

func TestKey(t *testing.T) {
	if k := Key("photos/a b.jpg"); k != "meta/photos/a b.jpg" {
		t.Errorf("Key = %q", k)
	}
	// no variant key can be a meta key: "meta" is not a size
	if _, err := variantpath.ParseKey(Key("a.jpg")); err == nil {
		t.Error("a meta key parses as a variant key")
	}
}

// TestBuildExample is the README's example, byte for byte.
func TestBuildExample(t *testing.T) {
	d, err := Build(Input{
		Path: "shop/red shoe.jpg", Width: 2000, Height: 800, Format: "jpeg",
		Focus: focus.Point{X: 0.875, Y: 0.5625}, Source: focus.FromMetadata,
		Sizes: []size.Size{{W: 400, H: 300}, {W: 800, H: 600}, {W: 200, H: 150}, {W: 300, H: 300}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"version":1,"path":"shop/red shoe.jpg","width":2000,"height":800,"format":"jpeg",` +
		`"focus":{"x":0.875,"y":0.5625,"source":"metadata"},"aspects":[` +
		`{"ratio":"4:3","box":{"x":933,"y":0,"width":1067,"height":800},` +
		`"srcset":"/800x600/shop/red%20shoe.jpg 800w, /400x300/shop/red%20shoe.jpg 400w, /200x150/shop/red%20shoe.jpg 200w",` +
		`"sizes":[{"width":800,"height":600,"url":"/800x600/shop/red%20shoe.jpg"},` +
		`{"width":400,"height":300,"url":"/400x300/shop/red%20shoe.jpg"},` +
		`{"width":200,"height":150,"url":"/200x150/shop/red%20shoe.jpg"}]},` +
		`{"ratio":"1:1","box":{"x":1200,"y":0,"width":800,"height":800},` +
		`"srcset":"/300x300/shop/red%20shoe.jpg 300w",` +
		`"sizes":[{"width":300,"height":300,"url":"/300x300/shop/red%20shoe.jpg"}]}]}` + "\n"
	if got := string(d.Marshal()); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestBuildBoxesAndURLs(t *testing.T) {
	d, err := Build(Input{
		Path: "a/ü?#.png", Width: 900, Height: 1600, Format: "png",
		Focus: focus.Point{X: 0.5, Y: 0.175}, Source: focus.FromAttention,
		Sizes: append(defaultSizes, size.Size{W: 1600, H: 900}, size.Size{W: 160, H: 90}),
		Base:  "https://img.example.com",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Aspects) != 2 || d.Aspects[0].Ratio != "4:3" || d.Aspects[1].Ratio != "16:9" {
		t.Fatalf("aspects %+v", d.Aspects)
	}
	for _, a := range d.Aspects {
		var tw, th int
		for _, e := range a.Sizes {
			tw, th = e.Width, e.Height
			b := focus.Crop(900, 1600, e.Width, e.Height, d.Focus.Point())
			if (Box{b.X, b.Y, b.W, b.H}) != a.Box {
				t.Errorf("%s: box %+v, but %dx%d crops %v", a.Ratio, a.Box, e.Width, e.Height, b)
			}
			if !strings.HasPrefix(e.URL, "https://img.example.com/") || !strings.HasSuffix(e.URL, "/a/%C3%BC%3F%23.png") {
				t.Errorf("URL %q: want the base and the escaped path", e.URL)
			}
		}
		_, _ = tw, th
	}
	// the subject of subject-portrait.jpg (y 80-479) is in the 4:3 box at the top
	if b := d.Aspects[0].Box; b != (Box{0, 0, 900, 675}) {
		t.Errorf("4:3 box %+v", b)
	}
	if s := d.Aspects[1].Srcset; s != "https://img.example.com/1600x900/a/%C3%BC%3F%23.png 1600w, https://img.example.com/160x90/a/%C3%BC%3F%23.png 160w" {
		t.Errorf("16:9 srcset %q", s)
	}
}

func TestBuildRefuses(t *testing.T) {
	if _, err := Build(Input{Path: "a.jpg", Width: 0, Height: 10}); err == nil {
		t.Error("a 0-pixel image built")
	}
	if _, err := Build(Input{Path: "../a.jpg", Width: 10, Height: 10}); !errors.Is(err, size.ErrMalformed) {
		t.Errorf("bad path: %v", err)
	}
	big := image.NewRGBA(image.Rect(0, 0, 1000, 1000))
	if _, err := Build(Input{Path: "a.jpg", Width: 10, Height: 10, Thumb: big}); !errors.Is(err, ErrNoPixels) {
		t.Errorf("a 1000x1000 thumbnail: %v, want ErrNoPixels", err)
	}
}

func TestParse(t *testing.T) {
	d, err := Build(Input{Path: "a.jpg", Width: 10, Height: 20, Format: "jpeg", Focus: focus.Point{X: 0.1, Y: 1}, Source: focus.FromEntropy, Sizes: defaultSizes})
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(d.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if string(back.Marshal()) != string(d.Marshal()) {
		t.Errorf("round trip changed the document:\n%s\n%s", back.Marshal(), d.Marshal())
	}
	for _, bad := range []string{
		``, `{`, `[]`, `{"version":2,"width":1,"height":1,"focus":{"x":0,"y":0,"source":"centre"}}`,
		`{"version":1,"width":0,"height":1,"focus":{"x":0,"y":0,"source":"centre"}}`,
		`{"version":1,"width":1,"height":1,"focus":{"x":1.5,"y":0,"source":"centre"}}`,
		`{"version":1,"width":1,"height":1,"focus":{"x":0,"y":-0.1,"source":"centre"}}`,
		`{"version":1,"width":1,"height":1,"focus":{"x":0,"y":0,"source":"faces"}}`,
	} {
		if _, err := Parse([]byte(bad)); !errors.Is(err, ErrStale) {
			t.Errorf("Parse(%q) = %v, want ErrStale", bad, err)
		}
	}
}

// TestPlaceholderColour decodes each fixture's placeholders back and compares their average
// colour (in linear light, where BlurHash's DC term lives) with the source's: for the whole
// image, and for the crop box of the 4:3 aspect, whose average differs from the whole's.
func TestPlaceholderColour(t *testing.T) {
	cases := []struct {
		file string
		p    focus.Point
	}{
		{"subject-landscape.jpg", focus.Point{X: 0.875, Y: 0.5625}},
		{"subject-portrait.jpg", focus.Point{X: 0.5, Y: 0.175}},
		{"subject-logo.png", focus.Point{X: 0.2167, Y: 0.5}},
		{"orient-1.jpg", focus.Point{X: 0, Y: 0}},
	}
	for _, c := range cases {
		src := imagetest.DecodeFile(t, "../../testdata/fixtures/"+c.file)
		w, h := src.Bounds().Dx(), src.Bounds().Dy()
		thumb := shrink(src, ThumbWidth, max(1, (ThumbWidth*h+w/2)/w))
		d, err := Build(Input{Path: c.file, Width: w, Height: h, Format: "x", Focus: c.p, Source: focus.FromMetadata, Sizes: defaultSizes, Thumb: thumb})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(d.Placeholder); n < 20 || n > 40 {
			t.Errorf("%s: placeholder %q of %d characters", c.file, d.Placeholder, n)
		}
		b := d.Aspects[0].Box
		for _, k := range []struct {
			what string
			hash string
			r    image.Rectangle
		}{
			{"whole", d.Placeholder, src.Bounds()},
			{"4:3 box", d.Aspects[0].Placeholder, image.Rect(b.X, b.Y, b.X+b.Width, b.Y+b.Height)},
		} {
			want := srgb(meanLinear(src, k.r))
			// The hash's DC term is the average colour, 8-bit sRGB: within 2 levels (the
			// thumbnail's rounding).
			dc, err := base83.Decode(k.hash[2:6])
			if err != nil {
				t.Fatalf("%s %s: %q: %v", c.file, k.what, k.hash, err)
			}
			if got := [3]int{dc >> 16, dc >> 8 & 255, dc & 255}; maxDiff(got, want) > 2 {
				t.Errorf("%s %s: placeholder %q has the average colour %v, the source %v", c.file, k.what, k.hash, got, want)
			}
			// Painted, it averages close to that too (the AC terms clip near white and black).
			if got := srgb(decodedMean(t, k.hash)); maxDiff(got, want) > 10 {
				t.Errorf("%s %s: placeholder %q paints an average %v, the source %v", c.file, k.what, k.hash, got, want)
			}
		}
	}
}

// shrink is an area average to w x h, which keeps the mean: a stand-in for libvips' thumbnail.
func shrink(src image.Image, w, h int) image.Image {
	r := src.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			cell := image.Rect(r.Min.X+x*r.Dx()/w, r.Min.Y+y*r.Dy()/h, r.Min.X+(x+1)*r.Dx()/w, r.Min.Y+(y+1)*r.Dy()/h)
			m := meanLinear(src, cell)
			out.SetNRGBA(x, y, color.NRGBA{uint8(toSRGB(m[0]) + 0.5), uint8(toSRGB(m[1]) + 0.5), uint8(toSRGB(m[2]) + 0.5), 255})
		}
	}
	return out
}

func meanLinear(img image.Image, r image.Rectangle) [3]float64 {
	var s [3]float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, ca := img.At(x, y).RGBA() // opaque fixtures: no alpha to undo
			_ = ca
			c := color.NRGBA{uint8(cr >> 8), uint8(cg >> 8), uint8(cb >> 8), 255}
			s[0] += toLinear(float64(c.R))
			s[1] += toLinear(float64(c.G))
			s[2] += toLinear(float64(c.B))
		}
	}
	n := float64(r.Dx() * r.Dy())
	return [3]float64{s[0] / n, s[1] / n, s[2] / n}
}

func decodedMean(t *testing.T, hash string) [3]float64 {
	t.Helper()
	img, err := blurhash.Decode(hash, 64, 64, 1)
	if err != nil {
		t.Fatalf("decode %q: %v", hash, err)
	}
	return meanLinear(img, img.Bounds())
}

func maxDiff(a, b [3]int) int {
	return max(abs(a[0]-b[0]), abs(a[1]-b[1]), abs(a[2]-b[2]))
}

func abs(v int) int { return max(v, -v) }

var linear = func() (t [256]float64) {
	for i := range t {
		t[i] = slowLinear(float64(i))
	}
	return t
}()

func toLinear(v float64) float64 { return linear[int(v)] }

func slowLinear(v float64) float64 {
	v /= 255
	if v <= 0.04045 {
		return v / 12.92
	}
	return math.Pow((v+0.055)/1.055, 2.4)
}

func toSRGB(v float64) float64 {
	v = min(max(v, 0), 1)
	if v <= 0.0031308 {
		return v * 12.92 * 255
	}
	return (1.055*math.Pow(v, 1/2.4) - 0.055) * 255
}

func srgb(m [3]float64) [3]int {
	return [3]int{int(toSRGB(m[0]) + 0.5), int(toSRGB(m[1]) + 0.5), int(toSRGB(m[2]) + 0.5)}
}

package imaging

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"testing"

	_ "image/jpeg" // decode reads outputs in every format the service writes
	_ "image/png"

	_ "golang.org/x/image/webp"

	"github.com/imgorigin/imgorigin/handler/format"
	"github.com/imgorigin/imgorigin/handler/size"
	"github.com/imgorigin/imgorigin/internal/imagetest"
)

func newResizer() *Resizer {
	return New(Options{Quality: 80, MaxBytes: 40 << 20, MaxPixels: 100_000_000, MaxFrames: 200})
}

func decode(t testing.TB, b []byte) (image.Image, string) {
	t.Helper()
	img, kind, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode output: %v", err)
	}
	return img, kind
}

// near reports whether c is within tol of want on every channel (8-bit).
func near(c color.Color, want color.RGBA, tol int) bool {
	r, g, b, _ := c.RGBA()
	d := func(a uint32, w uint8) bool { x := int(a>>8) - int(w); return x >= -tol && x <= tol }
	return d(r, want.R) && d(g, want.G) && d(b, want.B)
}

func rgb(c color.Color) [3]int {
	r, g, b, _ := c.RGBA()
	return [3]int{int(r >> 8), int(g >> 8), int(b >> 8)}
}

func TestExactSizesAndCentredCrop(t *testing.T) {
	r := newResizer()
	green := color.RGBA{0, 255, 0, 255}
	cases := []struct {
		name string
		src  image.Image
	}{
		{"landscape 3:1", imagetest.Bands(1800, 600)},
		{"portrait 1:3", imagetest.Bands(600, 1800)},
		{"square", imagetest.Bands(1000, 1000)},
		{"tiny enlarged", imagetest.Bands(40, 30)},
		{"extreme wide 40:1", imagetest.Bands(4000, 100)},
		{"extreme tall 1:40", imagetest.Bands(100, 4000)},
		{"odd 6028x3391", imagetest.Bands(6028, 3391)},
	}
	sizes := mustSizes("800x600,400x300,200x150,300x300,150x600")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := imagetest.EncodeJPEG(t, c.src, 95)
			for _, s := range sizes {
				vs, err := r.Resize(src, []size.Size{s})
				if err != nil {
					t.Fatalf("%v: %v", s, err)
				}
				img, kind := decode(t, vs[0].Body)
				if kind != "jpeg" || vs[0].ContentType != "image/jpeg" {
					t.Fatalf("%v: format %s %s", s, kind, vs[0].ContentType)
				}
				if b := img.Bounds(); b.Dx() != s.W || b.Dy() != s.H {
					t.Fatalf("%v: got %dx%d", s, b.Dx(), b.Dy())
				}
				// The centre of every crop is the green middle band.
				if c := img.At(s.W/2, s.H/2); !near(c, green, 40) {
					t.Errorf("%v: centre pixel %v, want green", s, rgb(c))
				}
			}
		})
	}
}

// The middle band is exactly what a 4:3 crop of a 3:1 original keeps: all four corners are green.
func TestCropKeepsMiddleBandOnly(t *testing.T) {
	r := newResizer()
	green := color.RGBA{0, 255, 0, 255}
	for _, src := range []image.Image{imagetest.Bands(2400, 600), imagetest.Bands(600, 2400)} {
		vs, err := r.Resize(imagetest.EncodePNG(t, src), mustSizes("400x300,300x400"))
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			img, kind := decode(t, v.Body)
			if kind != "png" {
				t.Fatalf("PNG in, %s out", kind)
			}
			b := img.Bounds()
			for _, p := range []image.Point{{2, 2}, {b.Dx() - 3, 2}, {2, b.Dy() - 3}, {b.Dx() - 3, b.Dy() - 3}} {
				if c := img.At(p.X, p.Y); !near(c, green, 8) {
					t.Errorf("%v from %v: pixel %v is %v, want green", v.Target.Size, src.Bounds().Size(), p, rgb(c))
				}
			}
		}
	}
}

func TestSeveralSizesFromOneDecodeMatchOneByOne(t *testing.T) {
	r := newResizer()
	src := imagetest.EncodeJPEG(t, imagetest.Bands(3000, 2000), 95)
	sizes := mustSizes("800x600,400x300,200x150,300x300,100x400")
	vs, err := r.Resize(src, sizes)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vs {
		img, _ := decode(t, v.Body)
		if b := img.Bounds(); v.Target.Size != sizes[i] || b.Dx() != sizes[i].W || b.Dy() != sizes[i].H {
			t.Fatalf("variant %d: %v, %v", i, v.Target.Size, b)
		}
	}
}

func TestGuards(t *testing.T) {
	r := New(Options{Quality: 80, MaxBytes: 1 << 20, MaxPixels: 1_000_000, MaxFrames: 5})
	big := imagetest.EncodePNG(t, image.NewGray(image.Rect(0, 0, 2000, 1000))) // 2 MP, small file
	cases := []struct {
		name string
		src  []byte
		want error
	}{
		{"empty", nil, ErrUnsupported},
		{"random", bytes.Repeat([]byte{0x13, 0x37}, 500), ErrUnsupported},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>`), ErrUnsupported},
		{"pdf", []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"), ErrUnsupported},
		{"too many bytes", append([]byte("\xFF\xD8\xFF"), make([]byte, 2<<20)...), ErrTooLarge},
		{"too many pixels", big, ErrTooLarge},
		{"truncated jpeg", imagetest.EncodeJPEG(t, imagetest.Bands(400, 300), 95)[:300], ErrInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := r.Resize(c.src, mustSizes("200x150"))
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

func mustSizes(v string) []size.Size {
	s, err := size.ParseList(v)
	if err != nil {
		panic(err)
	}
	return s
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "fixtures", name))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return b
}

var _ = format.JPEG

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

package imagetest

import (
	"bytes"
	"image"
	"image/color"
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"
	"os"
	"path/filepath"
	"testing"

	_ "golang.org/x/image/webp"
)

// GIF's frames hold one pixel of data each: its header declares the screen.
func TestGIFDeclares(t *testing.T) {
	cfg, f, err := image.DecodeConfig(bytes.NewReader(GIF(16, 8, image.Rect(0, 0, 16, 8))))
	if err != nil || f != "gif" || cfg.Width != 16 || cfg.Height != 8 {
		t.Errorf("GIF: %s %dx%d (%v), want gif 16x8", f, cfg.Width, cfg.Height, err)
	}
}

// The valid builders make files the standard decoders read at the declared size.
func TestBuildersDecode(t *testing.T) {
	for _, c := range []struct {
		name   string
		b      []byte
		format string
		w, h   int
	}{
		{"FlatWebP", FlatWebP(37, 21, 10, 200, 30), "webp", 37, 21},
		{"PNG grey", PNG(30, 20, 0, 8), "png", 30, 20},
		{"PNG grey+alpha 16", PNG(30, 20, 4, 16), "png", 30, 20},
	} {
		img, f, err := image.Decode(bytes.NewReader(c.b))
		if err != nil {
			t.Errorf("%s: does not decode: %v", c.name, err)
			continue
		}
		if f != c.format || img.Bounds().Dx() != c.w || img.Bounds().Dy() != c.h {
			t.Errorf("%s: %s %v, want %s %dx%d", c.name, f, img.Bounds(), c.format, c.w, c.h)
			continue
		}
		if c.name == "FlatWebP" {
			if r, g, b, _ := img.At(5, 5).RGBA(); r>>8 != 10 || g>>8 != 200 || b>>8 != 30 {
				t.Errorf("FlatWebP pixel %v, want 10,200,30", color.RGBAModel.Convert(img.At(5, 5)))
			}
		}
	}
}

// Bands and Solid put the colours where their comments say; EncodeJPEG and EncodePNG keep the
// size and (within JPEG's loss) the colours; DecodeFile reads a file back.
func TestPictures(t *testing.T) {
	red, green, blue := color.RGBA{255, 0, 0, 255}, color.RGBA{0, 255, 0, 255}, color.RGBA{0, 0, 255, 255}
	for _, c := range []struct {
		img  image.Image
		x, y int
		want color.RGBA
	}{
		{Bands(400, 100), 99, 50, red}, {Bands(400, 100), 100, 50, green},
		{Bands(400, 100), 299, 50, green}, {Bands(400, 100), 300, 50, blue},
		{Bands(100, 400), 50, 99, red}, {Bands(100, 400), 50, 200, green}, {Bands(100, 400), 50, 399, blue},
		{Solid(3, 2, color.RGBA{10, 20, 30, 255}), 2, 1, color.RGBA{10, 20, 30, 255}},
	} {
		if got := color.RGBAModel.Convert(c.img.At(c.x, c.y)); got != c.want {
			t.Errorf("%v at %d,%d: %v, want %v", c.img.Bounds(), c.x, c.y, got, c.want)
		}
	}
	dir := t.TempDir()
	for _, c := range []struct {
		name, format string
		b            []byte
		tol          int
	}{
		{"bands.jpg", "jpeg", EncodeJPEG(t, Bands(240, 80), 95), 8},
		{"bands.png", "png", EncodePNG(t, Bands(240, 80)), 0},
	} {
		if _, f, err := image.DecodeConfig(bytes.NewReader(c.b)); err != nil || f != c.format {
			t.Errorf("%s: %s (%v), want %s", c.name, f, err, c.format)
		}
		path := filepath.Join(dir, c.name)
		if err := os.WriteFile(path, c.b, 0o644); err != nil {
			t.Fatal(err)
		}
		img := DecodeFile(t, path)
		if img.Bounds() != image.Rect(0, 0, 240, 80) {
			t.Errorf("%s: %v, want 240x80", c.name, img.Bounds())
		}
		for _, p := range []struct {
			x    int
			want color.RGBA
		}{{20, red}, {120, green}, {220, blue}} {
			r, g, b, _ := img.At(p.x, 40).RGBA()
			got := [3]int{int(r >> 8), int(g >> 8), int(b >> 8)}
			want := [3]int{int(p.want.R), int(p.want.G), int(p.want.B)}
			for i := range got {
				if d := got[i] - want[i]; d > c.tol || d < -c.tol {
					t.Errorf("%s at %d,40: %v, want %v within %d", c.name, p.x, got, want, c.tol)
					break
				}
			}
		}
	}
}

package imagetest

import (
	"bytes"
	"image"
	"image/color"
	_ "image/gif"
	_ "image/png"
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

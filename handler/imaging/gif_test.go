package imaging

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"testing"
)

// GIF originals come out as PNG: the libvips build has no GIF saver (writing GIF needs a colour
// quantiser, and none with a licence the project can ship is packaged), and PNG keeps the first
// frame's pixels exactly, transparency included. The original here is 160x120 with two frames:
// the first is transparent on its left half and red on its right, the second all blue; the
// variant is the first frame, alpha kept.
func TestGIFComesOutAsPNG(t *testing.T) {
	pal := color.Palette{color.RGBA{}, color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}}
	first := image.NewPaletted(image.Rect(0, 0, 160, 120), pal)
	second := image.NewPaletted(image.Rect(0, 0, 160, 120), pal)
	for y := range 120 {
		for x := range 160 {
			if x >= 80 {
				first.SetColorIndex(x, y, 1)
			}
			second.SetColorIndex(x, y, 2)
		}
	}
	var b bytes.Buffer
	g := &gif.GIF{Image: []*image.Paletted{first, second}, Delay: []int{10, 10}, Disposal: []byte{gif.DisposalBackground, gif.DisposalBackground}}
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	for _, sizes := range []string{"400x300", "400x300,200x150"} {
		vs, err := newResizer().Resize(b.Bytes(), mustSizes(sizes))
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			if v.ContentType != "image/png" {
				t.Errorf("%v: Content-Type %q, want image/png", v.Target.Size, v.ContentType)
			}
			img, kind := decode(t, v.Body)
			if kind != "png" || img.Bounds().Dx() != v.Target.Size.W || img.Bounds().Dy() != v.Target.Size.H {
				t.Fatalf("%v: %s %v, want png %v", v.Target.Size, kind, img.Bounds().Size(), v.Target.Size)
			}
			w, h := v.Target.Size.W, v.Target.Size.H
			if _, _, _, a := img.At(w/8, h/2).RGBA(); a != 0 {
				t.Errorf("%v: left alpha %d, want transparent", v.Target.Size, a>>8)
			}
			right := img.At(w*7/8, h/2)
			if _, _, _, a := right.RGBA(); a>>8 != 255 || !near(right, color.RGBA{255, 0, 0, 255}, 2) {
				t.Errorf("%v: right %v alpha %d, want opaque red (the first frame)", v.Target.Size, rgb(right), a>>8)
			}
		}
	}
}

package main

import (
	"github.com/imgorigin/imgorigin/handler/variantpath"

	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
)

// photos are the originals: smooth gradients with a little noise (they compress like photos),
// landscape and portrait, JPEG and PNG.
func photos() [][]byte {
	var out [][]byte
	rng := rand.New(rand.NewPCG(1, 2))
	for i, d := range [][2]int{{1600, 1200}, {1200, 1600}, {2048, 1152}, {1000, 1000}} {
		img := image.NewRGBA(image.Rect(0, 0, d[0], d[1]))
		for y := range d[1] {
			for x := range d[0] {
				n := uint8(rng.IntN(16))
				img.SetRGBA(x, y, color.RGBA{uint8(x*255/d[0]) + n, uint8(y*255/d[1]) + n, uint8(i*60) + n, 255})
			}
		}
		var b bytes.Buffer
		if i == 3 {
			_ = png.Encode(&b, img)
		} else {
			_ = jpeg.Encode(&b, img, &jpeg.Options{Quality: 85})
		}
		out = append(out, b.Bytes())
	}
	return out
}

func ext(b []byte) string {
	if bytes.HasPrefix(b, []byte("\x89PNG")) {
		return ".png"
	}
	return ".jpg"
}

func (lt *loadTest) put(ctx context.Context, key string, body []byte) error {
	return lt.s3.PutObject(ctx, key, body, "")
}

// upload stores the originals the hits and the bad requests use.
func (lt *loadTest) upload(ctx context.Context) error {
	for i, p := range lt.photos {
		name := fmt.Sprintf("hit/photo %d%s", i, ext(p))
		if err := lt.put(ctx, "originals/"+name, p); err != nil {
			return err
		}
		for _, s := range sizes {
			lt.hits = append(lt.hits, "/"+s+"/"+variantpath.EscapePath(name))
		}
	}
	jpg := lt.photos[0]
	flood := pngFlood()
	lt.bad = map[string]int{}
	for name, c := range map[string]struct {
		body   []byte
		status int
	}{
		"text.jpg":      {[]byte("this is not an image\n"), 415},
		"svg.jpg":       {[]byte(`<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>`), 415},
		"empty.jpg":     {nil, 415},
		"truncated.jpg": {jpg[:len(jpg)/2], 422},
		"flood.png":     {flood, 422},
	} {
		if err := lt.put(ctx, "originals/bad/"+name, c.body); err != nil {
			return err
		}
		for _, s := range sizes {
			lt.bad["/"+s+"/bad/"+name] = c.status
		}
	}
	return nil
}

// pngFlood is a tiny PNG that declares 60000x60000 pixels.
func pngFlood() []byte {
	var b bytes.Buffer
	_ = png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1)))
	p := b.Bytes()
	p[16], p[17], p[18], p[19] = 0, 0, 0xEA, 0x60
	p[20], p[21], p[22], p[23] = 0, 0, 0xEA, 0x60
	crc := crc32.ChecksumIEEE(p[12:29])
	p[29], p[30], p[31], p[32] = byte(crc>>24), byte(crc>>16), byte(crc>>8), byte(crc)
	return p
}

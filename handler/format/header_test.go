package format

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"

	_ "golang.org/x/image/webp"

	"github.com/imgorigin/imgorigin/internal/imagetest"
)

// The helpers here are prefixed hdr so that they never clash with other tests of this package.

func hdrJPEG(t testing.TB, w, h int) []byte {
	return imagetest.EncodeJPEG(t, image.NewGray(image.Rect(0, 0, w, h)), jpeg.DefaultQuality)
}

func hdrPNG(t testing.TB, w, h int) []byte {
	return imagetest.EncodePNG(t, image.NewGray(image.Rect(0, 0, w, h)))
}

func hdrGIF(t testing.TB, w, h, frames int) []byte {
	t.Helper()
	g := &gif.GIF{}
	for range frames {
		g.Image = append(g.Image, image.NewPaletted(image.Rect(0, 0, w, h), palette.Plan9[:4]))
		g.Delay = append(g.Delay, 1)
	}
	return imagetest.EncodeGIF(t, g)
}

// setSOF rewrites the size of the first SOF segment of a JPEG.
func setSOF(t testing.TB, b []byte, w, h int) []byte {
	t.Helper()
	b, err := imagetest.SetSOF(b, w, h)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hdrSetIHDR rewrites a PNG's IHDR size and CRC.
func hdrSetIHDR(b []byte, w, h uint32) []byte {
	b = bytes.Clone(b)
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func hdrVP8L(w, h int) []byte {
	v := uint32(w-1) | uint32(h-1)<<14
	return imagetest.WebPChunk("VP8L", append([]byte{0x2F}, binary.LittleEndian.AppendUint32(nil, v)...))
}

func hdrVP8(w, h int) []byte {
	d := []byte{0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A}
	d = binary.LittleEndian.AppendUint16(d, uint16(w))
	d = binary.LittleEndian.AppendUint16(d, uint16(h))
	return imagetest.WebPChunk("VP8 ", d)
}

func hdrANMF(x, y, w, h int, inner []byte) []byte {
	d := append(append(append(append(imagetest.Le24(x/2), imagetest.Le24(y/2)...), imagetest.Le24(w-1)...), imagetest.Le24(h-1)...), 0, 0, 0, 0)
	return imagetest.WebPChunk("ANMF", append(d, inner...))
}

func hdrISPE(w, h uint32) []byte {
	return imagetest.Box("ispe", []byte{0, 0, 0, 0}, binary.BigEndian.AppendUint32(nil, w), binary.BigEndian.AppendUint32(nil, h))
}

// hdrHEIF is an ftyp, then meta/iprp/ipco with the given properties, then an empty mdat.
func hdrHEIF(brand string, props ...[]byte) []byte {
	ft := imagetest.Box("ftyp", []byte(brand+"\x00\x00\x00\x00mif1"+brand))
	meta := imagetest.Box("meta", []byte{0, 0, 0, 0},
		imagetest.Box("hdlr", make([]byte, 24)),
		imagetest.Box("iprp", imagetest.Box("ipco", props...), imagetest.Box("ipma", make([]byte, 8))))
	return append(append(ft, meta...), imagetest.Box("mdat")...)
}

func TestHeaderDeclaredSizes(t *testing.T) {
	jpg := hdrJPEG(t, 40, 30)
	i := bytes.Index(jpg, []byte{0xFF, 0xDA})
	// A second frame header, as a hostile file may carry, between the tables and the scan.
	sof2 := []byte{0xFF, 0xC2, 0, 11, 8, 0xEA, 0x60, 0x00, 0x10, 1, 1, 0x11, 0}
	twoSOF := append(append(bytes.Clone(jpg[:i]), sof2...), jpg[i:]...)
	// A SOF after garbage bytes: libjpeg skips to the next marker and would read it.
	garbage := append(append(bytes.Clone(jpg[:i]), append([]byte("junk"), sof2...)...), jpg[i:]...)
	// An EXIF thumbnail's SOF inside APP1 is not the image's.
	app1 := append([]byte{0xFF, 0xE1, 0, 2 + 4 + 11}, append([]byte("Exif"), 0xFF, 0xC0, 0, 11, 8, 0xFF, 0xFF, 0xFF, 0xFF, 1, 0)...)
	thumb := append(append(bytes.Clone(jpg[:2]), app1...), jpg[2:]...)

	pngb := hdrPNG(t, 40, 30)
	apng := append(bytes.Clone(pngb[:33]), imagetest.PNGChunk("acTL", make([]byte, 8))...)
	fctl := make([]byte, 26)
	binary.BigEndian.PutUint32(fctl[4:], 10)
	binary.BigEndian.PutUint32(fctl[8:], 10)
	binary.BigEndian.PutUint32(fctl[12:], 5000) // x offset beyond the canvas
	apng = append(append(apng, imagetest.PNGChunk("fcTL", fctl)...), pngb[33:]...)

	for _, c := range []struct {
		name      string
		f         Format
		b         []byte
		w, h, fr  int
		checkStd  bool // image.DecodeConfig must agree
		wantError bool
	}{
		{name: "jpeg", f: JPEG, b: jpg, w: 40, h: 30, fr: 1, checkStd: true},
		{name: "jpeg flood", f: JPEG, b: setSOF(t, jpg, 60000, 60000), w: 60000, h: 60000, fr: 1},
		{name: "jpeg second SOF", f: JPEG, b: twoSOF, w: 40, h: 60000, fr: 1},
		{name: "jpeg SOF after garbage", f: JPEG, b: garbage, w: 40, h: 60000, fr: 1},
		{name: "jpeg exif thumbnail", f: JPEG, b: thumb, w: 40, h: 30, fr: 1},
		{name: "jpeg zero height", f: JPEG, b: setSOF(t, jpg, 40, 0), wantError: true},
		{name: "jpeg no SOF", f: JPEG, b: []byte{0xFF, 0xD8, 0xFF, 0xD9}, wantError: true},
		{name: "jpeg truncated before SOF", f: JPEG, b: jpg[:20], wantError: true},
		{name: "png", f: PNG, b: pngb, w: 40, h: 30, fr: 1, checkStd: true},
		{name: "png flood", f: PNG, b: hdrSetIHDR(pngb, 100000, 100000), w: 100000, h: 100000, fr: 1},
		{name: "png fcTL outside", f: PNG, b: apng, w: 5010, h: 30, fr: 1},
		{name: "png 2^31 width", f: PNG, b: hdrSetIHDR(pngb, 1<<31, 1), wantError: true},
		{name: "png truncated", f: PNG, b: pngb[:len(pngb)-5], wantError: true},
		{name: "png no IEND", f: PNG, b: pngb[:len(pngb)-12], wantError: true},
		{name: "png chunk claims 4GB", f: PNG, b: append(bytes.Clone(pngb[:33]), "\xff\xff\xff\xf0tEXtabcdefghijklmnop"...), wantError: true},
		{name: "png IHDR not first", f: PNG, b: append(append([]byte("\x89PNG\r\n\x1a\n"), imagetest.PNGChunk("tEXt", []byte("a"))...), pngb[8:]...), wantError: true},
		{name: "gif", f: GIF, b: hdrGIF(t, 40, 30, 3), w: 40, h: 30, fr: 3, checkStd: true},
		{name: "gif screen flood", f: GIF, b: imagetest.GIF(60000, 60000, image.Rect(0, 0, 1, 1)), w: 60000, h: 60000, fr: 1},
		{name: "gif frame flood", f: GIF, b: imagetest.GIF(10, 10, image.Rect(0, 0, 1, 1), image.Rect(0, 0, 65535, 65535)), w: 65535, h: 65535, fr: 2},
		{name: "gif frame offset", f: GIF, b: imagetest.GIF(10, 10, image.Rect(60000, 60000, 60001, 60001)), w: 60001, h: 60001, fr: 1},
		{name: "gif no frame", f: GIF, b: imagetest.GIF(10, 10), wantError: true},
		{name: "gif truncated", f: GIF, b: hdrGIF(t, 40, 30, 3)[:100], wantError: true},
		{name: "webp vp8l", f: WebP, b: imagetest.RIFF(hdrVP8L(40, 30)), w: 40, h: 30, fr: 1},
		{name: "webp vp8", f: WebP, b: imagetest.RIFF(hdrVP8(16383, 16383)), w: 16383, h: 16383, fr: 1},
		{name: "webp vp8x flood", f: WebP, b: imagetest.RIFF(imagetest.VP8X(0x02, 60000, 60000), hdrVP8L(1, 1)), w: 60000, h: 60000, fr: 1},
		{name: "webp anmf", f: WebP, b: imagetest.RIFF(imagetest.VP8X(0x02, 10, 10), imagetest.WebPChunk("ANIM", make([]byte, 6)),
			hdrANMF(0, 0, 10, 10, hdrVP8L(10, 10)), hdrANMF(100000, 2, 10, 10, hdrVP8L(10, 10)),
			hdrANMF(0, 0, 10, 10, hdrVP8L(16384, 70))), w: 100010, h: 70, fr: 3},
		{name: "webp no image", f: WebP, b: imagetest.RIFF(imagetest.VP8X(0x02, 10, 10)), wantError: true},
		{name: "webp chunk overrun", f: WebP, b: imagetest.RIFF(hdrVP8L(10, 10))[:20], wantError: true},
		{name: "avif", f: AVIF, b: hdrHEIF("avif", hdrISPE(640, 480)), w: 640, h: 480, fr: 1},
		{name: "heic grid", f: HEIC, b: hdrHEIF("heic", hdrISPE(512, 512), hdrISPE(100000, 100000), hdrISPE(512, 512)), w: 100000, h: 100000, fr: 1},
		{name: "avif no ispe", f: AVIF, b: hdrHEIF("avif"), wantError: true},
		{name: "avif zero ispe", f: AVIF, b: hdrHEIF("avif", hdrISPE(0, 10)), wantError: true},
		{name: "avif truncated", f: AVIF, b: hdrHEIF("avif", hdrISPE(10, 10))[:60], wantError: true},
		{name: "unknown", f: Unknown, b: []byte("hello"), wantError: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			w, h, fr, err := Header(c.f, c.b)
			if c.wantError {
				if err == nil || !errors.Is(err, ErrHeader) {
					t.Fatalf("Header = %dx%d %d, %v; want an ErrHeader", w, h, fr, err)
				}
				return
			}
			if err != nil || w != c.w || h != c.h || fr != c.fr {
				t.Fatalf("Header = %dx%d %d frames, %v; want %dx%d %d", w, h, fr, err, c.w, c.h, c.fr)
			}
			if c.checkStd {
				cfg, _, err := image.DecodeConfig(bytes.NewReader(c.b))
				if err != nil || cfg.Width != w || cfg.Height != h {
					t.Fatalf("image.DecodeConfig = %v, %v", cfg, err)
				}
			}
		})
	}
}

// Real files of every format, as libvips and heif-enc write them (testdata/fixtures, when
// present): the declared size is the real one.
func TestHeaderFixtures(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "fixtures")
	for name, want := range map[string]image.Point{
		"photo.webp": {}, "photo.avif": {}, "photo.heic": {}, "animated.gif": {}, "cmyk.jpg": {},
		"sixteen-bit.png": {}, "orient-6.jpg": {}, "gray-alpha.png": {},
	} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Logf("%s: %v (skipped)", name, err)
			continue
		}
		f := Sniff(b)
		w, h, fr, err := Header(f, b)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if f == JPEG || f == PNG || f == GIF || f == WebP {
			cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
			if err == nil {
				want = image.Pt(cfg.Width, cfg.Height)
			}
		}
		if want != (image.Point{}) && (w != want.X || h != want.Y) {
			t.Errorf("%s: %dx%d, image.DecodeConfig says %v", name, w, h, want)
		}
		if w < 1 || h < 1 || fr < 1 {
			t.Errorf("%s: %dx%d %d frames", name, w, h, fr)
		}
		t.Logf("%s: %s %dx%d, %d frames", name, f, w, h, fr)
	}
}

// A GIF with thousands of frames is counted without decoding any of them.
func TestHeaderCountsGIFFrames(t *testing.T) {
	rects := make([]image.Rectangle, 5000)
	for i := range rects {
		rects[i] = image.Rect(0, 0, 2, 2)
	}
	w, h, fr, err := Header(GIF, imagetest.GIF(2, 2, rects...))
	if err != nil || w != 2 || h != 2 || fr != 5000 {
		t.Fatalf("%dx%d %d, %v", w, h, fr, err)
	}
}

// FuzzHeader: Header never panics; what it accepts has a positive size and frame count, and
// for the formats Go's decoders read, it covers at least what image.DecodeConfig reports.
// Seeds: the f.Add calls below and testdata/fuzz/FuzzHeader.
func FuzzHeader(f *testing.F) {
	jpg := hdrJPEG(f, 16, 8)
	pngb := hdrPNG(f, 16, 8)
	for _, b := range [][]byte{
		jpg, setSOF(f, jpg, 60000, 60000), jpg[:len(jpg)/2],
		pngb, hdrSetIHDR(pngb, 100000, 100000), pngb[:40],
		hdrGIF(f, 16, 8, 2), imagetest.GIF(10, 10, image.Rect(0, 0, 65535, 65535)),
		imagetest.RIFF(hdrVP8L(40, 30)), imagetest.RIFF(hdrVP8(30, 20)),
		imagetest.RIFF(imagetest.VP8X(0x02, 10, 10), hdrANMF(0, 0, 10, 10, hdrVP8L(10, 10))),
		hdrHEIF("avif", hdrISPE(640, 480)), hdrHEIF("heic", hdrISPE(64, 48)),
	} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fm := Sniff(b)
		for _, try := range []Format{fm, JPEG, PNG, GIF, WebP, AVIF} {
			w, h, fr, err := Header(try, b)
			if err != nil {
				if !errors.Is(err, ErrHeader) || w != 0 || h != 0 || fr != 0 {
					t.Fatalf("Header(%s) = %dx%d %d, %v", try, w, h, fr, err)
				}
				continue
			}
			if w < 1 || h < 1 || fr < 1 {
				t.Fatalf("Header(%s) = %dx%d %d frames without an error", try, w, h, fr)
			}
			if try != fm || (fm != JPEG && fm != PNG && fm != GIF && fm != WebP) {
				continue
			}
			if cfg, _, err := image.DecodeConfig(bytes.NewReader(b)); err == nil && (cfg.Width > w || cfg.Height > h) {
				t.Fatalf("Header(%s) = %dx%d, but image.DecodeConfig reads %dx%d", fm, w, h, cfg.Width, cfg.Height)
			}
		}
	})
}

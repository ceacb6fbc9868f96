package imaging

// The hostile corpus: originals that try to break the service, every one generated here (nothing
// is downloaded), with the answer the contract gives each. hostile_test.go runs it through
// Resize, through the HTTP handler against a real S3 server, and through the pre-warm path.

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/png"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"github.com/h2non/bimg"

	"github.com/imgorigin/imgorigin/internal/imagetest"
)

// corpusCase is one original and its answer.
type corpusCase struct {
	name   string // the key under originals/: the extension often lies
	src    []byte
	want   error  // ErrUnsupported (415), ErrInvalid or ErrTooLarge (422); nil: a variant (200)
	format string // when want is nil: the variant's format (image.Decode's name, or "avif")
	large  bool   // a legitimately large original: seconds to make and to resize
	// smallOK: refused for the allowed sizes, but a 1x1 variant (no enlargement) is made
	smallOK bool
}

// The limits the corpus is written against: config's defaults.
const (
	corpusMaxBytes  = 40 << 20
	corpusMaxPixels = 100_000_000
	corpusMaxFrames = 200
)

func corpusResizer() *Resizer {
	return New(Options{Quality: 80, MaxBytes: corpusMaxBytes, MaxPixels: corpusMaxPixels, MaxFrames: corpusMaxFrames})
}

var corpusMemo struct {
	sync.Mutex
	m map[bool][]corpusCase
}

// hostileCorpus builds the corpus once per process (callers must not change it). large adds
// the originals just under the pixel limit.
func hostileCorpus(t testing.TB, large bool) []corpusCase {
	t.Helper()
	corpusMemo.Lock()
	defer corpusMemo.Unlock()
	if cs, ok := corpusMemo.m[large]; ok {
		return cs
	}
	cs := buildCorpus(t, large)
	if corpusMemo.m == nil {
		corpusMemo.m = map[bool][]corpusCase{}
	}
	corpusMemo.m[large] = cs
	return cs
}

func buildCorpus(t testing.TB, large bool) []corpusCase {
	t.Helper()
	setup()
	rng := rand.New(rand.NewPCG(4, 2))
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	jpg := imagetest.EncodeJPEG(t, corpusBands(300, 200), 90)
	pngb := corpusPNG(t, corpusBands(300, 200))
	gifb := corpusGIF(t, 160, 120, 3)
	avif := bimgConvert(t, pngb, bimg.AVIF)
	// The libvips build has no HEVC encoder (the service never writes HEIC): a committed file.
	heic := corpusFile(t, "../../testdata/fixtures/photo.heic")

	cs := []corpusCase{
		// Pixel floods: tiny files that declare enormous images.
		{name: "flood/png-60000x60000.png", src: imagetest.PNG(60000, 60000, 0, 8), want: ErrTooLarge},
		{name: "flood/png-100000x100000.png", src: imagetest.PNG(100000, 100000, 0, 8), want: ErrTooLarge},
		{name: "flood/png-one-row-over.png", src: imagetest.PNG(10000, 10001, 0, 8), want: ErrTooLarge},
		{name: "flood/jpeg-60000x60000.jpg", src: setSOF(t, imagetest.EncodeJPEG(t, image.NewGray(image.Rect(0, 0, 16, 16)), 50), 60000, 60000), want: ErrTooLarge},
		{name: "flood/jpeg-second-sof.jpg", src: corpusSecondSOF(t, jpg, 65000, 65000), want: ErrTooLarge},
		{name: "flood/gif-screen-60000x60000.gif", src: imagetest.GIF(60000, 60000, image.Rect(0, 0, 1, 1)), want: ErrTooLarge},
		{name: "flood/gif-frame-65535x65535.gif", src: imagetest.GIF(16, 16, image.Rect(0, 0, 16, 16), image.Rect(0, 0, 65535, 65535)), want: ErrTooLarge},
		{name: "flood/gif-frame-offset.gif", src: imagetest.GIF(16, 16, image.Rect(0, 0, 16, 16), image.Rect(60000, 60000, 60001, 60001)), want: ErrTooLarge},
		{name: "flood/webp-vp8l-16384x16384.webp", src: imagetest.FlatWebP(16384, 16384, 0, 128, 0), want: ErrTooLarge},
		{name: "flood/webp-vp8x-100000x100000.webp", src: corpusVP8X(100000, 100000, imagetest.FlatWebP(1, 1, 0, 0, 0)), want: ErrTooLarge},
		{name: "flood/avif-ispe-100000x100000.avif", src: corpusSetISPE(t, avif, 100000, 100000), want: ErrTooLarge},
		{name: "flood/heic-ispe-100000x100000.heic", src: corpusSetISPE(t, heic, 100000, 100000), want: ErrTooLarge},
		{name: "flood/many-frames.gif", src: corpusManyFrames(5000), want: ErrTooLarge},
		// Extreme aspect ratios: filling 800x600 from 10000x1 means enlarging the whole original
		// to 6,000,000x600 before the crop, which is over the pixel limit (see checkCover).
		{name: "extreme/wide-10000x1.jpg", src: imagetest.EncodeJPEG(t, corpusBands(10000, 1), 80), want: ErrTooLarge, format: "jpeg", smallOK: true},
		{name: "extreme/tall-1x10000.png", src: corpusPNG(t, corpusBands(1, 10000)), want: ErrTooLarge, format: "png", smallOK: true},
		{name: "extreme/wide-10000x1.webp", src: imagetest.FlatWebP(10000, 1, 0, 200, 0), want: ErrTooLarge, format: "webp", smallOK: true},
		{name: "extreme/tall-1x10000.gif", src: corpusGIF(t, 1, 10000, 1), want: ErrTooLarge, format: "png", smallOK: true},
		{name: "extreme/wide-65535x2.gif", src: imagetest.GIF(65535, 2, image.Rect(0, 0, 65535, 2)), want: ErrTooLarge, format: "png", smallOK: true},

		// Truncated and corrupt.
		{name: "broken/truncated.jpg", src: jpg[:len(jpg)/2], want: ErrInvalid},
		{name: "broken/truncated-header.jpg", src: jpg[:100], want: ErrInvalid},
		{name: "broken/truncated.png", src: pngb[:len(pngb)/2], want: ErrInvalid},
		{name: "broken/truncated.gif", src: gifb[:len(gifb)-20], want: ErrInvalid},
		{name: "broken/truncated.webp", src: imagetest.FlatWebP(64, 64, 1, 2, 3)[:30], want: ErrInvalid},
		{name: "broken/truncated.avif", src: avif[:len(avif)/2], want: ErrInvalid},
		{name: "broken/bad-huffman.jpg", src: corpusBadHuffman(t, jpg), want: ErrInvalid},
		{name: "broken/bad-crc.png", src: corpusFlipIDAT(t, pngb), want: ErrInvalid},
		{name: "broken/signature-only.png", src: []byte("\x89PNG\r\n\x1a\n"), want: ErrInvalid},
		{name: "broken/soi-only.jpg", src: []byte{0xFF, 0xD8, 0xFF}, want: ErrInvalid},

		// Not images, or formats the service does not read, whatever their names say.
		{name: "not/zero-bytes.jpg", src: []byte{}, want: ErrUnsupported},
		{name: "not/random.jpg", src: random, want: ErrUnsupported},
		{name: "not/text.png", src: []byte("hello, world\n"), want: ErrUnsupported},
		{name: "not/xxe.svg", src: []byte(corpusXXE), want: ErrUnsupported},
		{name: "not/xxe-svg.jpg", src: []byte(corpusXXE), want: ErrUnsupported},
		{name: "not/svg-bom.jpg", src: append([]byte("\xEF\xBB\xBF  \n"), `<svg xmlns="http://www.w3.org/2000/svg" width="99999" height="99999"/>`...), want: ErrUnsupported},
		{name: "not/document.pdf.jpg", src: []byte(corpusPDF), want: ErrUnsupported},
		{name: "not/postscript.jpg", src: []byte("%!PS-Adobe-3.0\n%%BoundingBox: 0 0 100000 100000\nshowpage\n"), want: ErrUnsupported},
		{name: "not/eps.jpg", src: []byte("%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n"), want: ErrUnsupported},
		{name: "not/fits.jpg", src: []byte("SIMPLE  =                    T / conforming FITS\nBITPIX  = 8\nNAXIS = 2\nNAXIS1 = 100000\nNAXIS2 = 100000\nEND"), want: ErrUnsupported},
		{name: "not/matlab.jpg", src: append([]byte("MATLAB 5.0 MAT-file, Platform: GLNXA64"), make([]byte, 128)...), want: ErrUnsupported},
		{name: "not/ppm.jpg", src: []byte("P6\n60000 60000\n255\n\x00\x00\x00"), want: ErrUnsupported},
		{name: "not/bmp.jpg", src: corpusBMP(), want: ErrUnsupported},
		{name: "not/tiff.jpg", src: corpusTIFF(), want: ErrUnsupported},
		{name: "not/vips.jpg", src: append([]byte{0x08, 0xf2, 0xa6, 0xb6}, make([]byte, 64)...), want: ErrUnsupported},
		{name: "not/html.jpg", src: []byte("<!doctype html><img src=x onerror=alert(1)>"), want: ErrUnsupported},

		// Real images in awkward shapes: each gets an exact variant.
		{name: "ok/png-named.jpg", src: pngb, format: "png"},
		{name: "ok/jpeg-named.png", src: jpg, format: "jpeg"},
		{name: "ok/cmyk.jpg", src: bimgCMYK(t, jpg), format: "jpeg"},
		{name: "ok/sixteen-bit.png", src: corpusPNG(t, corpusRGBA64(300, 200)), format: "png"},
		{name: "ok/gray-alpha.png", src: imagetest.PNG(300, 200, 4, 8), format: "png"},
		{name: "ok/gray-alpha-16.png", src: imagetest.PNG(300, 200, 4, 16), format: "png"},
		{name: "ok/gray.jpg", src: imagetest.EncodeJPEG(t, image.NewGray(image.Rect(0, 0, 300, 200)), 80), format: "jpeg"},
		{name: "ok/wide-2000x30.jpg", src: imagetest.EncodeJPEG(t, corpusBands(2000, 30), 80), format: "jpeg"},
		{name: "ok/tall-30x2000.png", src: corpusPNG(t, corpusBands(30, 2000)), format: "png"},
		{name: "ok/wide-3000x40.webp", src: imagetest.FlatWebP(3000, 40, 0, 200, 0), format: "webp"},
		{name: "ok/tall-40x3000.gif", src: corpusGIF(t, 40, 3000, 1), format: "png"},
		{name: "ok/one.jpg", src: imagetest.EncodeJPEG(t, corpusBands(1, 1), 80), format: "jpeg"},
		{name: "ok/one.png", src: corpusPNG(t, corpusBands(1, 1)), format: "png"},
		{name: "ok/one.gif", src: corpusGIF(t, 1, 1, 1), format: "png"},
		{name: "ok/one.webp", src: imagetest.FlatWebP(1, 1, 0, 200, 0), format: "webp"},
		{name: "ok/animated.gif", src: gifb, format: "png"},
		{name: "ok/frames-at-limit.gif", src: corpusManyFrames(corpusMaxFrames), format: "png"},
		{name: "ok/photo.avif", src: avif, format: "avif"},
		{name: "ok/photo.heic", src: heic, format: "jpeg"},
		// A zTXt chunk that inflates to 256 MB. libvips 8.16 reads PNG through libspng, whose
		// chunk limits (libvips sets 60 MB) stop it at the header: refused, 422. libvips 8.14
		// (libpng) skipped the chunk and served the pixels. Refusing is right: the file exists
		// to exhaust memory, metadata is stripped from every variant anyway, and an original
		// over a limit is a 422 in the contract.
		{name: "broken/ztxt-bomb.png", src: corpusZTXTBomb(t, pngb, 256<<20), want: ErrInvalid},
	}
	if large {
		cs = append(cs,
			corpusCase{name: "large/flat-10000x9500.jpg", src: imagetest.EncodeJPEG(t, image.NewGray(image.Rect(0, 0, 10000, 9500)), 80), format: "jpeg", large: true},
			// WebP, GIF and HEIF decode whole, so they are held to half the pixel limit.
			corpusCase{name: "large/flat-7070x7070.webp", src: imagetest.FlatWebP(7070, 7070, 30, 90, 200), format: "webp", large: true},
			corpusCase{name: "large/flat-10000x9999.webp", src: imagetest.FlatWebP(10000, 9999, 30, 90, 200), want: ErrTooLarge},
		)
	}
	return cs
}

// corpusBands is a 3-band image like the imaging tests' bands, in NRGBA.
func corpusBands(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{uint8(255 * x / max(w-1, 1)), 200, uint8(255 * y / max(h-1, 1)), 255})
		}
	}
	return img
}

func corpusRGBA64(w, h int) image.Image {
	img := image.NewRGBA64(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA64(x, y, color.RGBA64{uint16(x * 200), 0x8000, uint16(y * 300), 0xFFFF})
		}
	}
	return img
}

func corpusPNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func corpusGIF(t testing.TB, w, h, frames int) []byte {
	t.Helper()
	g := &gif.GIF{}
	for i := range frames {
		p := image.NewPaletted(image.Rect(0, 0, w, h), palette.Plan9)
		for j := range p.Pix {
			p.Pix[j] = uint8(i*40 + j%7)
		}
		g.Image = append(g.Image, p)
		g.Delay = append(g.Delay, 10)
	}
	return imagetest.EncodeGIF(t, g)
}

func corpusGIFImage(t testing.TB, p *image.Paletted) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := gif.Encode(&b, p, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// corpusZTXTBomb adds a zTXt chunk that inflates to n bytes before the image data.
func corpusZTXTBomb(t testing.TB, pngb []byte, n int) []byte {
	t.Helper()
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	zero := make([]byte, 1<<20)
	for range n >> 20 {
		_, _ = zw.Write(zero)
	}
	_ = zw.Close()
	data := append([]byte("Comment\x00\x00"), z.Bytes()...)
	out := append(bytes.Clone(pngb[:33]), imagetest.PNGChunk("zTXt", data)...)
	return append(out, pngb[33:]...)
}

// corpusFlipIDAT corrupts a byte of the first IDAT chunk, so its CRC no longer matches.
func corpusFlipIDAT(t testing.TB, pngb []byte) []byte {
	t.Helper()
	b := bytes.Clone(pngb)
	i := bytes.Index(b, []byte("IDAT"))
	if i < 0 {
		t.Fatal("no IDAT")
	}
	b[i+10] ^= 0x55
	return b
}

// corpusSecondSOF puts a second frame header, declaring w x h, just before the scan.
func corpusSecondSOF(t testing.TB, jpg []byte, w, h int) []byte {
	t.Helper()
	i := bytes.Index(jpg, []byte{0xFF, 0xDA})
	if i < 0 {
		t.Fatal("no SOS")
	}
	sof := []byte{0xFF, 0xC2, 0, 11, 8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 1, 1, 0x11, 0}
	return append(append(bytes.Clone(jpg[:i]), sof...), jpg[i:]...)
}

// corpusBadHuffman makes the first Huffman table claim more codes than it has room for.
func corpusBadHuffman(t testing.TB, jpg []byte) []byte {
	t.Helper()
	b := bytes.Clone(jpg)
	i := bytes.Index(b, []byte{0xFF, 0xC4})
	if i < 0 {
		t.Fatal("no DHT")
	}
	for j := i + 5; j < i+5+16; j++ {
		b[j] = 0xFF // 16 lengths of 255 codes each: no valid Huffman table
	}
	return b
}

// corpusManyFrames is a 4x4 GIF with n frames.
func corpusManyFrames(n int) []byte {
	rects := make([]image.Rectangle, n)
	for i := range rects {
		rects[i] = image.Rect(0, 0, 4, 4)
	}
	return imagetest.GIF(4, 4, rects...)
}

// corpusVP8X wraps a simple WebP's bitstream in an extended file whose canvas is w x h.
func corpusVP8X(w, h int, simple []byte) []byte {
	return imagetest.RIFF(imagetest.VP8X(0, w, h), simple[12:])
}

// setSOF rewrites the size in a JPEG's first SOF0 segment.
func setSOF(t testing.TB, jpg []byte, w, h int) []byte {
	t.Helper()
	b, err := imagetest.SetSOF(jpg, w, h)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// corpusSetISPE rewrites every ispe property of a HEIF file.
func corpusSetISPE(t testing.TB, heif []byte, w, h uint32) []byte {
	t.Helper()
	b := bytes.Clone(heif)
	n := 0
	for i := bytes.Index(b, []byte("ispe")); i >= 0; {
		binary.BigEndian.PutUint32(b[i+8:], w)
		binary.BigEndian.PutUint32(b[i+12:], h)
		n++
		j := bytes.Index(b[i+4:], []byte("ispe"))
		if j < 0 {
			break
		}
		i += 4 + j
	}
	if n == 0 {
		t.Fatal("no ispe")
	}
	return b
}

// bimgConvert re-encodes src with libvips (through bimg) as typ; the AV1 encoder at a fast
// speed. The libvips build writes JPEG, PNG, WebP and AVIF only.
func bimgConvert(t testing.TB, src []byte, typ bimg.ImageType) []byte {
	t.Helper()
	out, err := bimg.NewImage(src).Process(bimg.Options{Type: typ, Speed: 8, Quality: 60})
	if err != nil {
		t.Fatalf("convert to %s: %v", bimg.ImageTypeName(typ), err)
	}
	return out
}

// corpusFile reads a committed original.
func corpusFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// corpusTIFF is a valid 1x1 8-bit grey TIFF, written by hand: the libvips build has no TIFF
// saver (nor loader; the service refuses TIFF before libvips sees it either way).
func corpusTIFF() []byte {
	le := binary.LittleEndian
	b := []byte("II*\x00")
	b = le.AppendUint32(b, 8)
	entries := [][3]uint32{ // tag, type (3 SHORT, 4 LONG), value
		{256, 3, 1}, {257, 3, 1}, {258, 3, 8}, {259, 3, 1}, {262, 3, 1},
		{273, 4, 8 + 2 + 8*12 + 4}, {278, 3, 1}, {279, 4, 1},
	}
	b = le.AppendUint16(b, uint16(len(entries)))
	for _, e := range entries {
		b = le.AppendUint16(b, uint16(e[0]))
		b = le.AppendUint16(b, uint16(e[1]))
		b = le.AppendUint32(b, 1)
		b = le.AppendUint32(b, e[2])
	}
	b = le.AppendUint32(b, 0)
	return append(b, 0x80)
}

// bimgCMYK converts a JPEG to a CMYK JPEG.
func bimgCMYK(t testing.TB, jpg []byte) []byte {
	t.Helper()
	out, err := bimg.NewImage(jpg).Process(bimg.Options{Type: bimg.JPEG, Interpretation: bimg.InterpretationCMYK, Quality: 80})
	if err != nil {
		t.Fatalf("cmyk: %v", err)
	}
	return out
}

// corpusBMP is a 1x1 24-bit BMP declaring 60000x60000 (libvips reads BMP only through
// ImageMagick, an untrusted loader).
func corpusBMP() []byte {
	b := []byte("BM")
	b = binary.LittleEndian.AppendUint32(b, 58)
	b = append(b, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0)
	b = binary.LittleEndian.AppendUint32(b, 60000)
	b = binary.LittleEndian.AppendUint32(b, 60000)
	b = append(b, 1, 0, 24, 0)
	return append(b, make([]byte, 28)...)
}

const corpusXXE = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE svg [
  <!ENTITY xxe SYSTEM "file:///etc/passwd">
  <!ENTITY remote SYSTEM "http://169.254.169.254/latest/meta-data/">
]>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="800" height="600">
  <text x="10" y="20">&xxe;&remote;</text>
  <image xlink:href="file:///etc/shadow" width="800" height="600"/>
</svg>
`

const corpusPDF = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" +
	"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n" +
	"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100000 100000] >>\nendobj\n" +
	"trailer\n<< /Root 1 0 R >>\n%%EOF\n"

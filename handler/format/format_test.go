package format_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"image"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/imgorigin/imgorigin/handler/format"
	"github.com/imgorigin/imgorigin/internal/imagetest"
)

// fixturesDir holds the committed originals (testdata/fixtures/README.md describes them).
var fixturesDir = filepath.Join("..", "..", "testdata", "fixtures")

// fixture reads testdata/fixtures/name or, when the file is not there, the bytes build makes.
func fixture(t *testing.T, name string, build func(t *testing.T) []byte) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixturesDir, name))
	if errors.Is(err, fs.ErrNotExist) {
		t.Logf("%s is missing: using bytes built in the test", name)
		return build(t)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// noise is an image whose JPEG/PNG/GIF encodings have a long body of compressed data.
func noise(w, h int, seed uint64) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, seed))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(r.Uint32())
	}
	return img
}

func buildJPEG(t *testing.T) []byte { return imagetest.EncodeJPEG(t, noise(64, 48, 1), 80) }

func buildPNG(t *testing.T) []byte { return imagetest.EncodePNG(t, noise(64, 48, 2)) }

func buildGIF(t *testing.T) []byte {
	g := &gif.GIF{}
	for i := range 3 {
		p := image.NewPaletted(image.Rect(0, 0, 40, 30), palette.Plan9)
		src := noise(40, 30, uint64(10+i))
		for y := range 30 {
			for x := range 40 {
				p.Set(x, y, src.At(x, y))
			}
		}
		g.Image = append(g.Image, p)
		g.Delay = append(g.Delay, 10)
	}
	return imagetest.EncodeGIF(t, g)
}

// A 1x1 lossless WebP (VP8L).
func buildWebP(t *testing.T) []byte {
	b, err := base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ftyp builds an ISOBMFF ftyp box with the given major and compatible brands.
func ftyp(major string, compatible ...string) []byte {
	n := 16 + 4*len(compatible)
	b := binary.BigEndian.AppendUint32(nil, uint32(n))
	b = append(b, "ftyp"+major+"\x00\x00\x00\x00"...)
	for _, c := range compatible {
		b = append(b, c...)
	}
	return b
}

// The start of a HEIF file: the ftyp box, then an empty meta box (only the ftyp is sniffed).
func heif(major string, compatible ...string) []byte {
	return append(ftyp(major, compatible...), "\x00\x00\x00\x0cmeta\x00\x00\x00\x00"...)
}

func buildAVIF(*testing.T) []byte { return heif("avif", "avif", "mif1", "miaf") }
func buildHEIC(*testing.T) []byte { return heif("heic", "mif1", "heic", "miaf") }

func TestSniffFixtures(t *testing.T) {
	for _, tc := range []struct {
		file  string
		build func(*testing.T) []byte
		want  format.Format
	}{
		{"tiny.jpg", buildJPEG, format.JPEG},
		{"square.jpg", buildJPEG, format.JPEG},
		{"orient-6.jpg", buildJPEG, format.JPEG},
		{"cmyk.jpg", buildJPEG, format.JPEG},
		{"display-p3.jpg", buildJPEG, format.JPEG},
		{"adobergb.jpg", buildJPEG, format.JPEG},
		{"bands-landscape.png", buildPNG, format.PNG},
		{"alpha.png", buildPNG, format.PNG},
		{"gray-alpha.png", buildPNG, format.PNG},
		{"sixteen-bit.png", buildPNG, format.PNG},
		{"animated.gif", buildGIF, format.GIF},
		{"photo.webp", buildWebP, format.WebP},
		{"photo.avif", buildAVIF, format.AVIF},
		{"photo.heic", buildHEIC, format.HEIC},
	} {
		b := fixture(t, tc.file, tc.build)
		if got := format.Sniff(b); got != tc.want {
			t.Errorf("Sniff(%s) = %v, want %v", tc.file, got, tc.want)
		}
		if !format.Complete(tc.want, b) {
			t.Errorf("Complete(%v, %s) = false for the whole file", tc.want, tc.file)
		}
	}
	// The built fallbacks are sniffed the same way, so the test does not depend on the fixtures.
	for _, tc := range []struct {
		build func(*testing.T) []byte
		want  format.Format
	}{
		{buildJPEG, format.JPEG}, {buildPNG, format.PNG}, {buildGIF, format.GIF},
		{buildWebP, format.WebP}, {buildAVIF, format.AVIF}, {buildHEIC, format.HEIC},
	} {
		b := tc.build(t)
		if got := format.Sniff(b); got != tc.want {
			t.Errorf("Sniff(built %v) = %v", tc.want, got)
		}
		if !format.Complete(tc.want, b) {
			t.Errorf("Complete(built %v) = false", tc.want)
		}
	}
}

func TestSniffMagic(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want format.Format
	}{
		{"JPEG SOI+marker", []byte{0xFF, 0xD8, 0xFF}, format.JPEG},
		{"JPEG JFIF", []byte("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00"), format.JPEG},
		{"PNG signature", []byte("\x89PNG\r\n\x1a\n"), format.PNG},
		{"GIF87a", []byte("GIF87a"), format.GIF},
		{"GIF89a", []byte("GIF89a\x01\x00\x01\x00"), format.GIF},
		{"WebP header", []byte("RIFF\x00\x00\x00\x00WEBP"), format.WebP},
		{"AVIF major", ftyp("avif", "mif1", "miaf"), format.AVIF},
		{"AVIF sequence", ftyp("avis", "avis", "msf1"), format.AVIF},
		{"mif1 listing avif", ftyp("mif1", "miaf", "avif"), format.AVIF},
		{"HEIC major", ftyp("heic", "mif1", "heic"), format.HEIC},
		{"heix", ftyp("heix", "mif1"), format.HEIC},
		{"hevc sequence", ftyp("hevc", "msf1"), format.HEIC},
		{"mif1 only", ftyp("mif1", "heic"), format.HEIC},
		{"msf1 only", ftyp("msf1"), format.HEIC},
		{"ftyp followed by more boxes", append(ftyp("heic", "mif1"), "\x00\x00\x00\x08free"...), format.HEIC},
	} {
		if got := format.Sniff(tc.in); got != tc.want {
			t.Errorf("%s: Sniff(%q) = %v, want %v", tc.name, tc.in, got, tc.want)
		}
	}
}

func TestSniffHostile(t *testing.T) {
	hugeFtyp := ftyp("heic", "mif1", "heic")
	binary.BigEndian.PutUint32(hugeFtyp, 0xFFFFFFFF)
	bigFtyp := ftyp("heic", "mif1")
	binary.BigEndian.PutUint32(bigFtyp, 1<<20) // claims 1 MiB, has 20 bytes
	zeroFtyp := ftyp("heic", "mif1")
	binary.BigEndian.PutUint32(zeroFtyp, 0)
	largesize := ftyp("heic", "mif1") // size 1 means a 64-bit size follows
	binary.BigEndian.PutUint32(largesize, 1)
	odd := append(ftyp("isom", "mp41"), 'x') // a length that is not a multiple of 4
	binary.BigEndian.PutUint32(odd, uint32(len(odd)))
	hugeList := ftyp("isom", slicesRepeat("mp41", 2000)...) // 8 KiB ftyp, over the 4 KiB cap
	hugeList = append(hugeList, ftyp("heic")...)

	cases := []struct {
		name string
		in   []byte
	}{
		{"nil", nil},
		{"empty", []byte{}},
		{"1 byte FF", []byte{0xFF}},
		{"2 bytes FFD8", []byte{0xFF, 0xD8}},
		{"JPEG SOI without marker", []byte{0xFF, 0xD8, 0x00}},
		{"1 byte 89", []byte{0x89}},
		{"3 bytes PNG", []byte("\x89PN")},
		{"PNG magic truncated", []byte("\x89PNG\r\n\x1a")},
		{"PNG magic wrong", []byte("\x89PNG\r\n\x1a\x0b")},
		{"GIF 3 bytes", []byte("GIF")},
		{"GIF8", []byte("GIF8")},
		{"GIF88a", []byte("GIF88a")},
		{"RIFF only", []byte("RIFF")},
		{"RIFF 11 bytes", []byte("RIFF\x00\x00\x00\x00WEB")},
		{"RIFF WAVE", []byte("RIFF\x24\x00\x00\x00WAVEfmt ")},
		{"RIFF AVI", []byte("RIFF\x24\x00\x00\x00AVI LIST")},
		{"SVG", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>`)},
		{"SVG with XML prolog", []byte(`<?xml version="1.0" encoding="UTF-8"?><svg xmlns="http://www.w3.org/2000/svg"/>`)},
		{"SVG with BOM", []byte("\xEF\xBB\xBF<svg xmlns=\"http://www.w3.org/2000/svg\"/>")},
		{"HTML", []byte("<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>")},
		{"PDF", []byte("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<<>>\nendobj\n")},
		{"PDF bare", []byte("%PDF-")},
		{"PostScript", []byte("%!PS-Adobe-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")},
		{"PostScript bare", []byte("%!PS")},
		{"EPS binary header", []byte("\xC5\xD0\xD3\xC6\x20\x00\x00\x00")},
		{"BMP", []byte("BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00")},
		{"TIFF little-endian", []byte("II*\x00\x08\x00\x00\x00")},
		{"TIFF big-endian", []byte("MM\x00*\x00\x00\x00\x08")},
		{"JPEG XL codestream", []byte("\xFF\x0A\xFA\x7F")},
		{"JPEG 2000", []byte("\x00\x00\x00\x0cjP  \r\n\x87\n")},
		{"ICO", []byte("\x00\x00\x01\x00\x01\x00\x10\x10")},
		{"ZIP", []byte("PK\x03\x04\x14\x00\x00\x00")},
		{"gzip", []byte("\x1f\x8b\x08\x00")},
		{"ELF", []byte("\x7fELF\x02\x01\x01\x00")},
		{"text", []byte("hello, world")},
		{"JPEG magic late", append([]byte{0}, 0xFF, 0xD8, 0xFF, 0xE0)},
		{"PNG magic late", []byte(" \x89PNG\r\n\x1a\n")},
		{"ftyp too short", []byte("\x00\x00\x00\x0cftypheic")},
		{"ftyp huge length", hugeFtyp},
		{"ftyp length past end", bigFtyp},
		{"ftyp length 0", zeroFtyp},
		{"ftyp length 1 (largesize)", largesize},
		{"ftyp odd length", odd},
		{"ftyp over 4 KiB", hugeList},
		{"MP4 video", ftyp("isom", "isom", "iso2", "avc1", "mp41")},
		{"QuickTime", ftyp("qt  ", "qt  ")},
		{"3GP", ftyp("3gp5", "3gp5", "isom")},
		{"Canon CR3", ftyp("crx ", "crx ", "isom")},
		{"JPEG 2000 ftyp", ftyp("jp2 ", "jp2 ")},
		{"brand in minor version only", append(binary.BigEndian.AppendUint32(nil, 16), "ftypisomheic"...)},
		{"moov before ftyp", append([]byte("\x00\x00\x00\x08moov"), ftyp("heic", "mif1")...)},
	}
	r := rand.New(rand.NewPCG(7, 7))
	for i := range 200 {
		b := make([]byte, r.IntN(64))
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		if len(b) > 0 {
			b[0] = 0x01 // no magic starts with 0x01 (and an ftyp box that did would be over 4 KiB)
		}
		cases = append(cases, struct {
			name string
			in   []byte
		}{"random " + string(rune('a'+i%26)), b})
	}
	for _, tc := range cases {
		got := format.Sniff(tc.in)
		if got != format.Unknown {
			t.Errorf("%s: Sniff(%q) = %v, want unknown", tc.name, clip(tc.in), got)
		}
		if ct := got.ContentType(); ct != "application/octet-stream" {
			t.Errorf("%s: content type %q", tc.name, ct)
		}
	}
}

func slicesRepeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestContentTypeAndOutput(t *testing.T) {
	for _, tc := range []struct {
		f       format.Format
		name    string
		ct      string
		out     format.Format
		outType string
	}{
		{format.JPEG, "jpeg", "image/jpeg", format.JPEG, "image/jpeg"},
		{format.PNG, "png", "image/png", format.PNG, "image/png"},
		{format.GIF, "gif", "image/gif", format.PNG, "image/png"}, // no GIF encoder: no quantiser with a fitting licence
		{format.WebP, "webp", "image/webp", format.WebP, "image/webp"},
		{format.AVIF, "avif", "image/avif", format.AVIF, "image/avif"},
		{format.HEIC, "heic", "image/heic", format.JPEG, "image/jpeg"}, // browsers cannot show HEIC
		{format.Unknown, "unknown", "application/octet-stream", format.Unknown, "application/octet-stream"},
		{format.Format(99), "unknown", "application/octet-stream", format.Format(99), "application/octet-stream"},
	} {
		if got := tc.f.String(); got != tc.name {
			t.Errorf("Format(%d).String() = %q, want %q", int(tc.f), got, tc.name)
		}
		if got := tc.f.ContentType(); got != tc.ct {
			t.Errorf("%v.ContentType() = %q, want %q", tc.f, got, tc.ct)
		}
		if got := tc.f.Output(); got != tc.out {
			t.Errorf("%v.Output() = %v, want %v", tc.f, got, tc.out)
		}
		if got := tc.f.Output().ContentType(); got != tc.outType {
			t.Errorf("%v.Output().ContentType() = %q, want %q", tc.f, got, tc.outType)
		}
	}
	// No output format is one that browsers cannot show.
	for f := format.Unknown; f <= format.HEIC; f++ {
		if f.Output() == format.HEIC {
			t.Errorf("%v.Output() = HEIC", f)
		}
	}
}

// A Format is an int: String must not index out of range on any value, negative included
// (fmt would otherwise print "%!v(PANIC=String method: ...)" into a log line).
func TestStringOutOfRange(t *testing.T) {
	for _, f := range []format.Format{-1, -100, 7, 1 << 30} {
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("Format(%d).String() panics: %v", int(f), p)
				}
			}()
			if got := f.String(); got != "unknown" {
				t.Errorf("Format(%d).String() = %q, want unknown", int(f), got)
			}
		}()
		if got := f.ContentType(); got != "application/octet-stream" {
			t.Errorf("Format(%d).ContentType() = %q", int(f), got)
		}
	}
}

// cuts returns the lengths to truncate an n-byte file to: every length for a small file, a
// spread plus the last 64 lengths for a large one. n itself is left out.
func cuts(n int) []int {
	if n <= 8192 {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	var out []int
	for i := 0; i < n-64; i += n / 997 {
		out = append(out, i)
	}
	for i := n - 64; i < n; i++ {
		out = append(out, i)
	}
	return out
}

// checkComplete asserts that Complete takes the whole file b and refuses it cut anywhere in its
// first n bytes (at the offsets cuts picks): a file that lacks its last len(b)-n bytes is
// truncated.
func checkComplete(t *testing.T, f format.Format, name string, b []byte, n int) {
	t.Helper()
	if !format.Complete(f, b) {
		t.Errorf("%s: Complete = false for the whole file", name)
	}
	for _, c := range cuts(n) {
		if format.Complete(f, b[:c]) {
			t.Errorf("%s: Complete = true for the first %d of %d bytes", name, c, len(b))
			return
		}
	}
}

func TestCompleteJPEG(t *testing.T) {
	for _, name := range []string{"tiny.jpg", "orient-1.jpg", "orient-6.jpg", "display-p3.jpg", "adobergb.jpg", "cmyk.jpg", "square.jpg", "bands-landscape.jpg"} {
		b := fixture(t, name, buildJPEG)
		// Every prefix that lacks the final EOI is truncated.
		checkComplete(t, format.JPEG, name, b, len(b)-1)
	}
}

// buildExifJPEG is a JPEG as cameras write it: an EXIF APP1 segment carrying a JPEG thumbnail
// (with its own SOS and EOI) before the main image.
func buildExifJPEG(t *testing.T) (whole []byte, mainSOS int) {
	thumb := imagetest.EncodeJPEG(t, noise(16, 12, 3), jpeg.DefaultQuality)
	// TIFF header, IFD0 (Orientation = 1), IFD1 (Compression = 6, JPEGInterchangeFormat,
	// JPEGInterchangeFormatLength), then the thumbnail.
	be := binary.BigEndian
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08")
	entry := func(b []byte, tag, typ uint16, val uint32) []byte {
		b = be.AppendUint16(b, tag)
		b = be.AppendUint16(b, typ)
		b = be.AppendUint32(b, 1)
		if typ == 3 { // SHORT, left-justified
			return be.AppendUint32(b, val<<16)
		}
		return be.AppendUint32(b, val)
	}
	tiff = be.AppendUint16(tiff, 1)
	tiff = entry(tiff, 0x0112, 3, 1)
	ifd1 := uint32(len(tiff) + 4)
	tiff = be.AppendUint32(tiff, ifd1)
	thumbAt := ifd1 + 2 + 3*12 + 4
	tiff = be.AppendUint16(tiff, 3)
	tiff = entry(tiff, 0x0103, 3, 6)
	tiff = entry(tiff, 0x0201, 4, thumbAt)
	tiff = entry(tiff, 0x0202, 4, uint32(len(thumb)))
	tiff = be.AppendUint32(tiff, 0)
	tiff = append(tiff, thumb...)
	payload := append([]byte("Exif\x00\x00"), tiff...)
	app1 := append([]byte{0xFF, 0xE1}, be.AppendUint16(nil, uint16(len(payload)+2))...)
	app1 = append(app1, payload...)

	m := imagetest.EncodeJPEG(t, noise(128, 96, 4), 90)
	whole = append(append(append([]byte{}, m[:2]...), app1...), m[2:]...)
	mainSOS = bytes.LastIndex(whole, []byte{0xFF, 0xDA})
	if mainSOS < 2+len(app1) {
		t.Fatal("main SOS not found after the APP1 segment")
	}
	// It is a real JPEG: the standard decoder reads it whole, and refuses it truncated.
	if _, err := jpeg.Decode(bytes.NewReader(whole)); err != nil {
		t.Fatalf("built EXIF JPEG does not decode: %v", err)
	}
	return whole, mainSOS
}

// A camera JPEG cut short in its main scan is truncated, though the EXIF thumbnail before it
// has an SOS and an EOI of its own.
func TestCompleteJPEGWithExifThumbnail(t *testing.T) {
	b, sos := buildExifJPEG(t)
	if format.Sniff(b) != format.JPEG || !format.Complete(format.JPEG, b) {
		t.Fatal("the whole EXIF JPEG is not a complete JPEG")
	}
	cut := b[:sos+(len(b)-sos)/2]
	if _, err := jpeg.Decode(bytes.NewReader(cut)); err == nil {
		t.Fatal("the standard decoder reads the cut file: it is not truncated")
	}
	if format.Complete(format.JPEG, cut) {
		t.Errorf("Complete = true for a JPEG cut in the middle of its main scan (%d of %d bytes): "+
			"the SOS and EOI of the EXIF thumbnail in APP1 were taken for the main image's", len(cut), len(b))
	}
}

// Segment payloads before the scan may hold any bytes: a comment with FF DA FF D9 in it does
// not make a truncated scan complete.
func TestCompleteJPEGMarkerBytesInComment(t *testing.T) {
	m := buildJPEG(t)
	com := []byte{0xFF, 0xFE, 0x00, 0x06, 0xFF, 0xDA, 0xFF, 0xD9}
	b := append(append(append([]byte{}, m[:2]...), com...), m[2:]...)
	if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil {
		t.Fatalf("JPEG with the comment does not decode: %v", err)
	}
	if !format.Complete(format.JPEG, b) {
		t.Fatal("whole file: Complete = false")
	}
	cut := b[:len(b)-len(b)/4]
	if format.Complete(format.JPEG, cut) {
		t.Errorf("Complete = true for a JPEG cut short (%d of %d bytes) whose COM segment holds the bytes FF DA FF D9", len(cut), len(b))
	}
}

func TestCompletePNG(t *testing.T) {
	for _, name := range []string{"bands-landscape.png", "alpha.png", "gray-alpha.png", "sixteen-bit.png"} {
		b := fixture(t, name, buildPNG)
		// Without the whole IEND type, the file is truncated.
		checkComplete(t, format.PNG, name, b, len(b)-4)
	}
	big := buildPNG(t)
	if !format.Complete(format.PNG, big) || format.Complete(format.PNG, big[:len(big)/2]) {
		t.Error("built PNG: whole or half misjudged")
	}
}

// The word IEND in a text chunk is not the IEND chunk: a file cut in its IDAT is truncated.
func TestCompletePNGIENDInText(t *testing.T) {
	p := buildPNG(t)
	// Insert a tEXt chunk right after IHDR (8-byte signature + 25-byte IHDR chunk).
	text := imagetest.PNGChunk("tEXt", []byte("Comment\x00IEND"))
	b := append(append(append([]byte{}, p[:33]...), text...), p[33:]...)
	if _, err := png.Decode(bytes.NewReader(b)); err != nil {
		t.Fatalf("PNG with the text chunk does not decode: %v", err)
	}
	cut := b[:33+len(text)+1000] // in the IDAT, with the text chunk in the last 4 KiB
	if _, err := png.Decode(bytes.NewReader(cut)); err == nil {
		t.Fatal("the standard decoder reads the cut file")
	}
	if format.Complete(format.PNG, cut) {
		t.Errorf("Complete = true for a PNG cut in its IDAT (%d of %d bytes) that has \"IEND\" in a tEXt chunk", len(cut), len(b))
	}
}

func TestCompleteGIF(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"animated.gif", fixture(t, "animated.gif", buildGIF)},
		{"built animated GIF", buildGIF(t)},
	} {
		if tc.b[len(tc.b)-1] != 0x3B {
			t.Fatalf("%s does not end in the GIF trailer", tc.name)
		}
		// Every prefix lacks the trailer, which is the last byte: a cut taken for complete
		// means a 0x3B byte in the palette or image data was taken for the trailer.
		checkComplete(t, format.GIF, tc.name, tc.b, len(tc.b)-1)
	}
}

// Formats Complete does not judge are left to the decoder.
func TestCompleteOthers(t *testing.T) {
	for _, f := range []format.Format{format.WebP, format.AVIF, format.HEIC, format.Unknown} {
		if !format.Complete(f, []byte("whatever")) || !format.Complete(f, nil) {
			t.Errorf("Complete(%v) = false; other formats are left to the decoder", f)
		}
	}
	for _, f := range []format.Format{format.JPEG, format.PNG, format.GIF} {
		if format.Complete(f, nil) {
			t.Errorf("Complete(%v, nil) = true", f)
		}
	}
}

func clip(b []byte) string {
	if len(b) > 48 {
		return string(b[:48]) + "..."
	}
	return string(b)
}

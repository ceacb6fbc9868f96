// Package imagetest builds image files for tests. Byte by byte: headers that declare any size,
// files no encoder would write, and small valid images of any size. Through the standard
// library: test pictures (Bands, Solid) encoded as JPEG or PNG, and fixture files decoded. The
// tests under handler/ share it.
package imagetest

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
)

// PNGChunk is one PNG chunk: length, type, data, CRC.
func PNGChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

// PNG writes a PNG by hand: any size, colour type (0 grey, 4 grey+alpha) and depth (8, 16),
// with every row present when the image is small, and one row of data when it is over a
// megapixel (a flood: only the header matters).
func PNG(w, h int, colourType, depth byte) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	ihdr = append(ihdr, depth, colourType, 0, 0, 0)
	channels := 1
	if colourType == 4 {
		channels = 2
	}
	rowBytes := 1 + w*channels*int(depth)/8
	rows := h
	if w*h > 1_000_000 {
		rows = 1
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	row := make([]byte, rowBytes)
	for y := range rows {
		for x := 0; x < w; x++ {
			v := byte(x * 255 / max(w-1, 1))
			a := byte(255 - y*255/max(h-1, 1))
			if depth == 16 {
				copy(row[1+x*channels*2:], []byte{v, v, a, a}[:channels*2])
			} else {
				copy(row[1+x*channels:], []byte{v, a}[:channels])
			}
		}
		_, _ = zw.Write(row)
	}
	_ = zw.Close()
	b := []byte("\x89PNG\r\n\x1a\n")
	b = append(b, PNGChunk("IHDR", ihdr)...)
	b = append(b, PNGChunk("IDAT", z.Bytes())...)
	return append(b, PNGChunk("IEND", nil)...)
}

// GIF builds a GIF by hand: a w x h screen with a 2-colour table, then one frame at each
// rectangle, each a tiny LZW stream (clear, one pixel, end).
func GIF(w, h int, frames ...image.Rectangle) []byte {
	le := func(b []byte, v int) []byte { return binary.LittleEndian.AppendUint16(b, uint16(v)) }
	b := []byte("GIF89a")
	b = le(le(b, w), h)
	b = append(b, 0x80, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF) // 2-colour global table
	for _, r := range frames {
		b = append(b, 0x21, 0xF9, 4, 0, 1, 0, 0, 0) // graphic control extension
		b = append(b, 0x2C)
		b = le(le(le(le(b, r.Min.X), r.Min.Y), r.Dx()), r.Dy())
		b = append(b, 0, 2, 2, 0x4C, 0x01, 0) // code size 2; clear, 0, end
	}
	return append(b, 0x3B)
}

// RIFF is a WebP file of the given chunks.
func RIFF(chunks ...[]byte) []byte {
	body := []byte("WEBP")
	for _, c := range chunks {
		body = append(body, c...)
	}
	return append(binary.LittleEndian.AppendUint32([]byte("RIFF"), uint32(len(body))), body...)
}

// WebPChunk is one RIFF chunk, padded to an even length.
func WebPChunk(typ string, data []byte) []byte {
	b := append([]byte(typ), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
	b = append(b, data...)
	if len(data)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// Le24 is v as 3 little-endian bytes (WebP's 24-bit fields).
func Le24(v int) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16)} }

// VP8X is an extended-format chunk with the given flags and a w x h canvas.
func VP8X(flags byte, w, h int) []byte {
	return WebPChunk("VP8X", append(append([]byte{flags, 0, 0, 0}, Le24(w-1)...), Le24(h-1)...))
}

// bitWriter writes the LSB-first bit stream of VP8L.
type bitWriter struct {
	b   []byte
	acc uint64
	n   uint
}

func (w *bitWriter) put(v uint64, n uint) {
	w.acc |= v << w.n
	w.n += n
	for w.n >= 8 {
		w.b = append(w.b, byte(w.acc))
		w.acc >>= 8
		w.n -= 8
	}
}

// FlatWebP is a valid lossless WebP of one colour, any size up to 16384x16384, in a few dozen
// bytes: every prefix code has a single symbol, so the pixels take no bits at all. A decoder
// still produces w*h pixels: a legitimate large image, or a decompression bomb.
func FlatWebP(w, h int, r, g, b byte) []byte {
	var bw bitWriter
	bw.put(0x2F, 8)
	bw.put(uint64(w-1), 14)
	bw.put(uint64(h-1), 14)
	bw.put(0, 1+3+1+1+1) // no alpha, version 0, no transform, no colour cache, no meta codes
	for _, v := range []byte{g, r, b, 255} {
		bw.put(1|0<<1|1<<2, 3) // simple code, one symbol, 8-bit symbol
		bw.put(uint64(v), 8)
	}
	bw.put(1, 3) // distance: simple code, one 1-bit symbol, 0
	bw.put(0, 1)
	if bw.n > 0 {
		bw.put(0, 8-bw.n)
	}
	return RIFF(WebPChunk("VP8L", bw.b))
}

// Box is an ISOBMFF box of the given contents.
func Box(typ string, data ...[]byte) []byte {
	var body []byte
	for _, d := range data {
		body = append(body, d...)
	}
	return append(binary.BigEndian.AppendUint32(nil, uint32(8+len(body))), append([]byte(typ), body...)...)
}

// SetSOF returns a copy of a JPEG whose first SOF0 segment declares w x h.
func SetSOF(jpg []byte, w, h int) ([]byte, error) {
	b := bytes.Clone(jpg)
	i := bytes.Index(b, []byte{0xFF, 0xC0})
	if i < 0 {
		return nil, errors.New("no SOF0 segment")
	}
	binary.BigEndian.PutUint16(b[i+5:], uint16(h))
	binary.BigEndian.PutUint16(b[i+7:], uint16(w))
	return b, nil
}

// WithOrientation inserts an EXIF APP1 segment carrying orientation o after a JPEG's SOI.
func WithOrientation(jpg []byte, o uint16) []byte {
	tiff := []byte("II*\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00")
	tiff = append(tiff, byte(o), byte(o>>8), 0, 0, 0, 0, 0, 0)
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := append([]byte{0xFF, 0xE1, byte((len(seg) + 2) >> 8), byte(len(seg) + 2)}, seg...)
	return append(append(bytes.Clone(jpg[:2]), app1...), jpg[2:]...)
}

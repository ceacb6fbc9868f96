package format

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrHeader is wrapped by every error of Header: the bytes do not parse as the format's header.
var ErrHeader = errors.New("unreadable header")

// Header reads the dimensions and frame count that b, sniffed as f, declares, without decoding
// any pixel data. It looks at every place the format declares a size, not only the first, and
// returns the largest extent declared anywhere (a frame placed at x+w beyond the logical screen
// widens it), so that w*h bounds what a decoder would allocate for one frame:
//
//   - JPEG: every SOFn marker up to EOI, walking segments and skipping entropy-coded data the
//     way libjpeg finds markers; frames is 1.
//   - PNG: IHDR, plus every APNG fcTL region; every chunk length is checked against 2^31-1 and
//     the bytes that remain, up to IEND; frames is 1 (libvips reads an APNG as a still image).
//   - GIF: the logical screen and every image descriptor's position and size; frames counts
//     the image descriptors. Extension and image data sub-blocks are skipped, never decompressed.
//   - WebP: the VP8, VP8L and VP8X sizes, and every ANMF frame's offset and size (and the
//     bitstream inside it); frames counts ANMF chunks (1 for a still image).
//   - AVIF/HEIC: every ispe property in meta/iprp/ipco (the largest wins); frames is 1.
//
// Errors wrap ErrHeader. w and h are at least 1 when err is nil.
func Header(f Format, b []byte) (w, h, frames int, err error) {
	var d dims
	switch f {
	case JPEG:
		err = d.jpeg(b)
	case PNG:
		err = d.png(b)
	case GIF:
		err = d.gif(b)
	case WebP:
		err = d.webp(b)
	case AVIF, HEIC:
		err = d.isobmff(b)
	default:
		err = errors.New("not an image format")
	}
	if err == nil && (d.w <= 0 || d.h <= 0) {
		err = fmt.Errorf("declares %dx%d", d.w, d.h)
	}
	if err != nil {
		return 0, 0, 0, fmt.Errorf("%w: %s: %w", ErrHeader, f, err)
	}
	return d.w, d.h, max(d.frames, 1), nil
}

// dims accumulates the largest declared extent and counts frames.
type dims struct {
	w, h   int
	frames int
	eoi    bool // a JPEG's end-of-image marker was reached
}

// extend widens the extent to cover a w x h rectangle at x, y.
func (d *dims) extend(x, y, w, h int) {
	d.w = max(d.w, x+w)
	d.h = max(d.h, y+h)
}

var errTruncated = errors.New("truncated")

// jpeg walks the marker segments from SOI to EOI. Like libjpeg's next_marker, bytes that are not
// a marker are skipped until one is found, so a SOF hidden after garbage is still seen.
func (d *dims) jpeg(b []byte) error {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return errors.New("no SOI marker")
	}
	sofs := 0
	p := 2
	for {
		// Find the next marker: 0xFF, any fill bytes 0xFF, then a code other than 0x00.
		i := bytes.IndexByte(b[p:], 0xFF)
		if i < 0 {
			break
		}
		p += i
		for p < len(b) && b[p] == 0xFF {
			p++
		}
		if p >= len(b) {
			break
		}
		m := b[p]
		p++
		switch {
		case m == 0x00, m == 0x01, m >= 0xD0 && m <= 0xD7:
			continue // stuffed byte, TEM, RSTn: no length
		case m == 0xD8:
			return errors.New("second SOI marker")
		case m == 0xD9:
			d.eoi = true
			return sofErr(sofs) // EOI: the decoder stops here
		}
		if p+2 > len(b) {
			break
		}
		n := int(binary.BigEndian.Uint16(b[p:]))
		if n < 2 {
			return fmt.Errorf("marker %#x: segment length %d", m, n)
		}
		if p+n > len(b) {
			break
		}
		seg := b[p+2 : p+n]
		if isSOF(m) {
			if len(seg) < 6 {
				return fmt.Errorf("SOF%d segment of %d bytes", m&0x0F, len(seg))
			}
			h := int(binary.BigEndian.Uint16(seg[1:]))
			w := int(binary.BigEndian.Uint16(seg[3:]))
			if w == 0 || h == 0 {
				return fmt.Errorf("SOF%d declares %dx%d", m&0x0F, w, h)
			}
			d.extend(0, 0, w, h)
			sofs++
		}
		p += n
		// After SOS comes entropy-coded data; the marker search above skips it (0xFF 0x00 and
		// RSTn are not segment markers).
	}
	return sofErr(sofs)
}

func sofErr(sofs int) error {
	if sofs == 0 {
		return errors.New("no SOF marker")
	}
	return nil
}

// isSOF reports whether m is a start-of-frame marker: C0-CF except DHT (C4), JPG (C8), DAC (CC).
func isSOF(m byte) bool {
	return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC
}

// png walks every chunk from IHDR to IEND.
func (d *dims) png(b []byte) error {
	const sig = "\x89PNG\r\n\x1a\n"
	if !bytes.HasPrefix(b, []byte(sig)) {
		return errors.New("no PNG signature")
	}
	p := len(sig)
	first := true
	for {
		if len(b)-p < 12 {
			return errTruncated
		}
		n := binary.BigEndian.Uint32(b[p:])
		typ := string(b[p+4 : p+8])
		if n > 1<<31-1 {
			return fmt.Errorf("chunk %q declares %d bytes", typ, n)
		}
		if int64(n) > int64(len(b)-p-12) {
			return fmt.Errorf("chunk %q declares %d bytes, %d remain: %w", typ, n, len(b)-p-12, errTruncated)
		}
		data := b[p+8 : p+8+int(n)]
		p += 12 + int(n)
		if first != (typ == "IHDR") {
			return errors.New("IHDR is not the first chunk")
		}
		first = false
		switch typ {
		case "IHDR":
			if len(data) != 13 {
				return fmt.Errorf("IHDR of %d bytes", len(data))
			}
			w, h := binary.BigEndian.Uint32(data), binary.BigEndian.Uint32(data[4:])
			if w == 0 || h == 0 || w > 1<<31-1 || h > 1<<31-1 {
				return fmt.Errorf("IHDR declares %dx%d", w, h)
			}
			d.extend(0, 0, int(w), int(h))
		case "fcTL":
			if len(data) != 26 {
				return fmt.Errorf("fcTL of %d bytes", len(data))
			}
			u := func(i int) int { return int(binary.BigEndian.Uint32(data[i:])) }
			d.extend(u(12), u(16), u(4), u(8))
		case "IEND":
			return nil
		}
	}
}

// gif walks the blocks from the logical screen descriptor to the trailer.
func (d *dims) gif(b []byte) error {
	if len(b) < 13 || (string(b[:6]) != "GIF87a" && string(b[:6]) != "GIF89a") {
		return errors.New("no GIF signature")
	}
	le := func(i int) int { return int(binary.LittleEndian.Uint16(b[i:])) }
	d.extend(0, 0, le(6), le(8))
	p := 13
	if b[10]&0x80 != 0 {
		p += 3 << (b[10]&7 + 1)
	}
	// skip moves past a run of data sub-blocks ended by a zero-length one.
	skip := func() error {
		for {
			if p >= len(b) {
				return errTruncated
			}
			n := int(b[p])
			p++
			if n == 0 {
				return nil
			}
			p += n
		}
	}
	for {
		if p >= len(b) {
			return errTruncated
		}
		switch b[p] {
		case 0x3B: // trailer
			if d.frames == 0 {
				return errors.New("no image")
			}
			return nil
		case 0x21: // extension: label, sub-blocks
			p += 2
			if err := skip(); err != nil {
				return err
			}
		case 0x2C: // image descriptor: left, top, width, height, flags; local table; LZW data
			if p+11 > len(b) {
				return errTruncated
			}
			d.extend(le(p+1), le(p+3), le(p+5), le(p+7))
			d.frames++
			flags := b[p+9]
			p += 10
			if flags&0x80 != 0 {
				p += 3 << (flags&7 + 1)
			}
			p++ // LZW minimum code size
			if err := skip(); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unknown block %#x at %d", b[p], p)
		}
	}
}

// webp walks the RIFF chunks, and the chunks inside every ANMF frame.
func (d *dims) webp(b []byte) error {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		return errors.New("no RIFF WEBP header")
	}
	n := int64(binary.LittleEndian.Uint32(b[4:]))
	if n < 4 || n > int64(len(b)-8) {
		return fmt.Errorf("RIFF declares %d bytes, %d remain: %w", n, len(b)-8, errTruncated)
	}
	images := 0
	if err := d.webpChunks(b[12:8+n], true, &images); err != nil {
		return err
	}
	if images == 0 {
		return errors.New("no image chunk")
	}
	return nil
}

func (d *dims) webpChunks(b []byte, top bool, images *int) error {
	le24 := func(b []byte) int { return int(b[0]) | int(b[1])<<8 | int(b[2])<<16 }
	for len(b) > 0 {
		if len(b) < 8 {
			return errTruncated
		}
		typ := string(b[:4])
		n := int64(binary.LittleEndian.Uint32(b[4:]))
		if n > int64(len(b)-8) {
			return fmt.Errorf("chunk %q declares %d bytes, %d remain: %w", typ, n, len(b)-8, errTruncated)
		}
		data := b[8 : 8+n]
		b = b[8+n:]
		if n%2 == 1 && len(b) > 0 {
			b = b[1:] // padding
		}
		switch typ {
		case "VP8 ":
			if len(data) < 10 || data[3] != 0x9D || data[4] != 0x01 || data[5] != 0x2A {
				return errors.New("VP8 chunk without a key frame header")
			}
			w := int(binary.LittleEndian.Uint16(data[6:]) & 0x3FFF)
			h := int(binary.LittleEndian.Uint16(data[8:]) & 0x3FFF)
			if w == 0 || h == 0 {
				return fmt.Errorf("VP8 declares %dx%d", w, h)
			}
			d.extend(0, 0, w, h)
			*images++
		case "VP8L":
			if len(data) < 5 || data[0] != 0x2F {
				return errors.New("VP8L chunk without its signature")
			}
			v := binary.LittleEndian.Uint32(data[1:])
			d.extend(0, 0, int(v&0x3FFF)+1, int(v>>14&0x3FFF)+1)
			*images++
		case "VP8X":
			if !top || len(data) < 10 {
				return errors.New("misplaced or short VP8X chunk")
			}
			d.extend(0, 0, le24(data[4:])+1, le24(data[7:])+1)
		case "ANMF":
			if !top || len(data) < 16 {
				return errors.New("misplaced or short ANMF chunk")
			}
			d.extend(2*le24(data[0:]), 2*le24(data[3:]), le24(data[6:])+1, le24(data[9:])+1)
			d.frames++
			if err := d.webpChunks(data[16:], false, images); err != nil {
				return fmt.Errorf("ANMF frame %d: %w", d.frames, err)
			}
		}
	}
	return nil
}

// isobmff finds every ispe property: top level meta, then iprp, then ipco.
func (d *dims) isobmff(b []byte) error {
	meta, err := box(b, "meta", 4) // a full box: version and flags first
	if err != nil {
		return err
	}
	iprp, err := box(meta, "iprp", 0)
	if err != nil {
		return err
	}
	ipco, err := box(iprp, "ipco", 0)
	if err != nil {
		return err
	}
	found := false
	err = boxes(ipco, func(typ string, data []byte) error {
		if typ != "ispe" {
			return nil
		}
		if len(data) < 12 {
			return errors.New("short ispe box")
		}
		w, h := binary.BigEndian.Uint32(data[4:]), binary.BigEndian.Uint32(data[8:])
		if w == 0 || h == 0 {
			return fmt.Errorf("ispe declares %dx%d", w, h)
		}
		d.extend(0, 0, int(w), int(h))
		found = true
		return nil
	})
	if err == nil && !found {
		err = errors.New("no ispe property")
	}
	return err
}

// box returns the contents of the first box of type typ in b, past skip bytes of its header
// (4 for a full box's version and flags).
func box(b []byte, typ string, skip int) ([]byte, error) {
	var out []byte
	err := boxes(b, func(t string, data []byte) error {
		if t == typ && out == nil {
			if len(data) < skip {
				return fmt.Errorf("short %s box", typ)
			}
			out = data[skip:]
			if out == nil {
				out = []byte{}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		return nil, fmt.Errorf("no %s box", typ)
	}
	return out, nil
}

// boxes calls fn with the type and contents of every box in b, in order.
func boxes(b []byte, fn func(typ string, data []byte) error) error {
	for len(b) > 0 {
		if len(b) < 8 {
			return errTruncated
		}
		n := uint64(binary.BigEndian.Uint32(b))
		typ := string(b[4:8])
		hdr := uint64(8)
		switch n {
		case 0: // to the end
			n = uint64(len(b))
		case 1: // 64-bit size follows
			if len(b) < 16 {
				return errTruncated
			}
			n, hdr = binary.BigEndian.Uint64(b[8:]), 16
		}
		if n < hdr {
			return fmt.Errorf("box %q of %d bytes", typ, n)
		}
		if n > uint64(len(b)) {
			return fmt.Errorf("box %q declares %d bytes, %d remain: %w", typ, n, len(b), errTruncated)
		}
		if err := fn(typ, b[hdr:n]); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

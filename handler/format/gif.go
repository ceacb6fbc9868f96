package format

import (
	"encoding/binary"
	"errors"
	"fmt"
)

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

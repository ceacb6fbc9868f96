package format

import (
	"encoding/binary"
	"errors"
	"fmt"
)

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

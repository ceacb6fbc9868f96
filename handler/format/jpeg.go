package format

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

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

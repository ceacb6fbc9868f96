package format

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

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

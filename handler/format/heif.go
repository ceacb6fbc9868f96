package format

import (
	"encoding/binary"
	"errors"
	"fmt"
)

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

// Package format tells image formats apart by their first bytes, never by a file name. It is
// pure Go: the handler uses it without libvips, and imaging uses it to decide what reaches libvips.
package format

import (
	"bytes"
	"encoding/binary"
)

// Format is an image format the service knows by its magic bytes.
type Format int

// The formats. Unknown is everything else: SVG, PDF, PostScript, random bytes.
const (
	Unknown Format = iota
	JPEG
	PNG
	GIF
	WebP
	AVIF
	HEIC
)

var names = [...]string{"unknown", "jpeg", "png", "gif", "webp", "avif", "heic"}

func (f Format) String() string {
	if f >= 0 && int(f) < len(names) {
		return names[f]
	}
	return "unknown"
}

// ContentType is the MIME type of the format, or application/octet-stream.
func (f Format) ContentType() string {
	switch f {
	case JPEG:
		return "image/jpeg"
	case PNG:
		return "image/png"
	case GIF:
		return "image/gif"
	case WebP:
		return "image/webp"
	case AVIF:
		return "image/avif"
	case HEIC:
		return "image/heic"
	}
	return "application/octet-stream"
}

// Output is the format a variant of an original in format f is written in: the same, except
// HEIC, which browsers cannot show, becomes JPEG, and GIF becomes PNG (the first frame, alpha
// kept). Writing GIF needs a colour quantiser, and none with a licence the project can ship is
// packaged (Debian's libimagequant is GPL-3), so the libvips build (third_party/vips) has no
// GIF saver; PNG keeps every pixel of the first frame exactly, transparency included.
func (f Format) Output() Format {
	switch f {
	case HEIC:
		return JPEG
	case GIF:
		return PNG
	}
	return f
}

// Sniff reads the format from the first bytes of b.
func Sniff(b []byte) Format {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return JPEG
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return PNG
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return GIF
	case len(b) >= 12 && string(b[0:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return WebP
	}
	return sniffISOBMFF(b)
}

// sniffISOBMFF reads the ftyp box of a HEIF container: brands avif/avis are AVIF, the HEVC
// brands are HEIC. A generic mif1/msf1 file is AVIF if it lists an AVIF brand, else HEIC.
func sniffISOBMFF(b []byte) Format {
	if len(b) < 16 || string(b[4:8]) != "ftyp" {
		return Unknown
	}
	n := int(binary.BigEndian.Uint32(b[0:4]))
	if n < 16 || n > len(b) || n > 4096 {
		return Unknown
	}
	brands := [][]byte{b[8:12]}
	for i := 16; i+4 <= n; i += 4 {
		brands = append(brands, b[i:i+4])
	}
	heif := false
	for _, br := range brands {
		switch string(br) {
		case "avif", "avis":
			return AVIF
		case "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1":
			heif = true
		}
	}
	if heif {
		return HEIC
	}
	return Unknown
}

// Complete reports whether b, sniffed as f, runs to its format's end: a JPEG's EOI marker
// (found by walking the marker segments, so an EXIF thumbnail's or a comment's does not count), a
// PNG's IEND chunk, a GIF's trailer block. libjpeg treats a missing end as a warning and fills
// the rest with grey, so a truncated upload would otherwise make a variant that is partly blank.
// Other formats are left to the decoder.
func Complete(f Format, b []byte) bool {
	var d dims
	switch f {
	case JPEG:
		return d.jpeg(b) == nil && d.eoi
	case PNG:
		return d.png(b) == nil
	case GIF:
		return d.gif(b) == nil
	}
	return true
}

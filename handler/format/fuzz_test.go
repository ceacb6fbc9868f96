package format_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imgorigin/imgorigin/handler/format"
)

// FuzzSniff checks, on any bytes: Sniff and Complete never panic; Unknown, and only Unknown,
// maps to application/octet-stream; a known format is an image/* type and stays the same
// whatever follows the bytes it was read from; no output format is HEIC.
func FuzzSniff(f *testing.F) {
	for _, seed := range [][]byte{
		nil,
		{0xFF, 0xD8, 0xFF},
		[]byte("\x89PNG\r\n\x1a\n"),
		[]byte("GIF89a"),
		[]byte("RIFF\x00\x00\x00\x00WEBP"),
		ftyp("avif", "mif1"),
		ftyp("heic", "mif1", "heic"),
		ftyp("mif1", "avif"),
		[]byte("\xff\xff\xff\xffftypheicmif1heic"),
		[]byte("<svg/>"),
		[]byte("%PDF-1.7"),
		[]byte("%!PS-Adobe-3.0"),
	} {
		f.Add(seed)
	}
	// The first 512 bytes of every fixture.
	if ents, err := os.ReadDir(fixturesDir); err == nil {
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".sh") || strings.HasSuffix(e.Name(), ".md") {
				continue
			}
			if b, err := os.ReadFile(filepath.Join(fixturesDir, e.Name())); err == nil {
				f.Add(b[:min(len(b), 512)])
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got := format.Sniff(b)
		ct := got.ContentType()
		if (got == format.Unknown) != (ct == "application/octet-stream") {
			t.Fatalf("Sniff = %v with content type %q", got, ct)
		}
		if got != format.Unknown && !strings.HasPrefix(ct, "image/") {
			t.Fatalf("Sniff = %v with content type %q", got, ct)
		}
		if got < format.Unknown || got > format.HEIC {
			t.Fatalf("Sniff = %d, not a known Format", int(got))
		}
		if got.Output() == format.HEIC {
			t.Fatalf("%v.Output() = HEIC", got)
		}
		if got != format.Unknown {
			longer := append(append([]byte{}, b...), 0, 0xFF, 'x', 0x3B)
			if g2 := format.Sniff(longer); g2 != got {
				t.Fatalf("Sniff(b) = %v but Sniff(b + more) = %v", got, g2)
			}
		}
		for f := format.Unknown; f <= format.HEIC; f++ {
			_ = format.Complete(f, b)
		}
	})
}

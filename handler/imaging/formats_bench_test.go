package imaging

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/imgorigin/imgorigin/handler"
	"github.com/imgorigin/imgorigin/handler/variantpath"
)

// BenchmarkFormats: the cost of the edge's formats through Resizer.Make on the repository's own
// photos (testdata/originals, always present): an 800x600 miss in each format, and a pre-warm of
// the three default sizes in the original's format only (the pre-warm before formats), in the
// default PREWARM_FORMATS (original, webp), and with AVIF added. docs/PERFORMANCE.md compares
// cpu-ms/op as ratios within one run.
//
//	go test -run '^$' -bench Formats -benchtime 5x ./handler/imaging
func BenchmarkFormats(b *testing.B) {
	r := newResizer()
	sizes := mustSizes("800x600,400x300,200x150")
	targets := func(ss int, fs ...variantpath.Format) []handler.Target {
		var ts []handler.Target
		for _, f := range fs {
			for _, s := range sizes[:ss] {
				ts = append(ts, handler.Target{Size: s, Format: f})
			}
		}
		return ts
	}
	o, w, a := variantpath.Original, variantpath.WebP, variantpath.AVIF
	jobs := []struct {
		name string
		ts   []handler.Target
	}{
		{"miss-original", targets(1, o)},
		{"miss-webp", targets(1, w)},
		{"miss-avif", targets(1, a)},
		{"prewarm-original", targets(3, o)},
		{"prewarm-original+webp", targets(3, o, w)},
		{"prewarm-original+webp+avif", targets(3, o, w, a)},
	}
	for _, name := range []string{"landscape.jpg", "portrait.jpg", "nested/summer 2024/beach+sunset.jpg", "dandelions.webp"} {
		src, err := os.ReadFile(filepath.Join("..", "..", "testdata", "originals", name))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(filepath.Base(name), func(b *testing.B) {
			for _, job := range jobs {
				b.Run(job.name, func(b *testing.B) {
					if _, err := r.Make(src, handler.Job{Targets: job.ts}); err != nil {
						b.Fatal(err)
					}
					cpu0 := cpuTime()
					b.ResetTimer()
					for b.Loop() {
						m, err := r.Make(src, handler.Job{Targets: job.ts})
						if err != nil || len(m.Variants) != len(job.ts) {
							b.Fatalf("%d variants, %v", len(m.Variants), err)
						}
					}
					b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
				})
			}
		})
	}
}

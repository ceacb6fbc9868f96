package imaging

import (
	"testing"
	"time"

	"github.com/imgorigin/imgorigin/handler"
	"github.com/imgorigin/imgorigin/handler/focus"
	"github.com/imgorigin/imgorigin/handler/variantpath"
)

// BenchmarkCrop: what the crop policies and the /meta facts cost, per benchmark photo, as
// ratios measured in one run. Every iteration runs each way once, in turn, so that the load of
// a shared machine falls on all of them alike; each reports its process CPU time per op
// (cpu-ms, every thread) and the ratios the targets are about.
//
// prewarm-today is the three standard sizes from one decode, centre crop, no /meta facts (the
// pre-warm before issue 12); prewarm-centre the same with the /meta facts (CROP=centre, the
// default, now); prewarm-attention CROP=attention, the /meta facts, the point found on the
// cover; miss-centre one 800x600, centre crop; miss-recorded one 800x600 around the focal point
// recorded at pre-warm (a later miss under CROP=attention); miss-attention one 800x600 with the
// analysis (a miss that finds no record); prewarm-entropy and miss-entropy the same as the
// attention ones with CROP=entropy.
//
//	BENCH_IMAGES=... go test -run '^$' -bench Crop -benchtime 12x ./handler/imaging
func BenchmarkCrop(b *testing.B) {
	dir := benchDir(b)
	centre := New(Options{Quality: 80, MaxBytes: 40 << 20, MaxPixels: 100_000_000, MaxFrames: 200})
	attention := New(Options{Quality: 80, MaxBytes: 40 << 20, MaxPixels: 100_000_000, MaxFrames: 200, Crop: focus.FromAttention})
	entropy := New(Options{Quality: 80, MaxBytes: 40 << 20, MaxPixels: 100_000_000, MaxFrames: 200, Crop: focus.FromEntropy})
	three := handler.TargetsOf(variantpath.Original, mustSizes("800x600,400x300,200x150")...)
	one := handler.TargetsOf(variantpath.Original, mustSizes("800x600")...)
	for _, name := range benchImages {
		b.Run(name, func(b *testing.B) {
			src := benchImage(b, dir, name)
			rec, err := attention.Make(src, handler.Job{Targets: three, Meta: true})
			if err != nil {
				b.Fatal(err)
			}
			ways := []struct {
				name string
				r    *Resizer
				job  handler.Job
			}{
				{"prewarm-today", centre, handler.Job{Targets: three}},
				{"prewarm-centre", centre, handler.Job{Targets: three, Meta: true}},
				{"prewarm-attention", attention, handler.Job{Targets: three, Meta: true}},
				{"miss-centre", centre, handler.Job{Targets: one}},
				{"miss-recorded", attention, handler.Job{Targets: one, Focus: &rec.Focus, FocusSource: rec.FocusSource}},
				{"miss-attention", attention, handler.Job{Targets: one}},
				{"prewarm-entropy", entropy, handler.Job{Targets: three, Meta: true}},
				{"miss-entropy", entropy, handler.Job{Targets: one}},
			}
			cpu := make([]time.Duration, len(ways))
			for _, w := range ways { // untimed: first-use set-up
				if _, err := w.r.Make(src, w.job); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for b.Loop() {
				for i, w := range ways {
					c0 := cpuTime()
					m, err := w.r.Make(src, w.job)
					cpu[i] += cpuTime() - c0
					if err != nil || len(m.Variants) != len(w.job.Targets) {
						b.Fatalf("%s: %v", w.name, err)
					}
				}
			}
			ms := func(i int) float64 { return float64(cpu[i].Microseconds()) / 1000 / float64(b.N) }
			for i, w := range ways {
				b.ReportMetric(ms(i), w.name+"-cpu-ms")
			}
			b.ReportMetric(ms(1)/ms(0), "prewarm-centre/today")
			b.ReportMetric(ms(2)/ms(0), "prewarm-attention/today")
			b.ReportMetric(ms(4)/ms(3), "miss-recorded/centre")
			b.ReportMetric(ms(5)/ms(3), "miss-attention/centre")
			b.ReportMetric(ms(6)/ms(0), "prewarm-entropy/today")
			b.ReportMetric(ms(7)/ms(3), "miss-entropy/centre")
		})
	}
}

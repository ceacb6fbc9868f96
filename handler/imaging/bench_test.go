package imaging

// Benchmarks of the whole imaging pipeline (Check + one cgo call: decode, shrink, crop, encode) on
// the peer benchmark's photographs (../shared/bench/IMAGES.md). The images are not in git:
// `make bench` (.ci/bench.sh) builds them into bench-images/ at the repository root first, or set
// BENCH_IMAGES to another folder. Without the folder every benchmark is skipped.
//
//	go test -run '^$' -bench . -benchmem ./handler/imaging
//
// Besides ns/op, B/op and allocs/op (Go heap only: libvips allocates in C), each benchmark reports
// ms/op, cpu-ms/op (user+system CPU of the whole process per op) and peak-RSS-MB: the process's peak resident set (VmHWM) while it ran, reset through
// /proc/self/clear_refs before it starts. That figure includes the test binary and whatever the
// C allocator kept from earlier benchmarks, so compare it between benchmarks run in fresh
// processes (.ci/bench.sh runs one process per image).

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// benchImages is the peers' set, then the EXIF pair made by .ci/bench.sh from photo-13mp.jpg:
// the same pixels stored upright (orientation 1) and stored rotated with orientation 6, both
// baseline JPEG q90 like a phone camera's.
var benchImages = []string{
	"mid-2mp.jpg", "portrait-6mp.jpg", "photo-12mp.png", "photo-13mp.jpg", "photo-20mp.jpg",
	"photo-24mp.jpg", "phone-13mp-o1.jpg", "phone-13mp-o6.jpg",
}

func benchDir(b *testing.B) string {
	dir := os.Getenv("BENCH_IMAGES")
	if dir == "" {
		dir = filepath.Join("..", "..", "bench-images")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		b.Skipf("benchmark images not found in %s: run `make bench` (.ci/bench.sh builds them with ../shared/bench/images.sh) or set BENCH_IMAGES", dir)
	}
	return dir
}

func benchImage(b *testing.B, dir, name string) []byte {
	src, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		b.Skipf("%s missing in %s (.ci/bench.sh makes the phone-13mp-o* pair): %v", name, dir, err)
	}
	return src
}

// BenchmarkResize: one 800x600 (a GET miss) and all three standard sizes from one decode (a
// pre-warm), per image.
func BenchmarkResize(b *testing.B) {
	dir := benchDir(b)
	r := newResizer()
	for _, name := range benchImages {
		b.Run(name, func(b *testing.B) {
			src := benchImage(b, dir, name)
			for _, job := range []struct{ name, sizes string }{
				{"800x600", "800x600"},
				{"3sizes", "800x600,400x300,200x150"},
			} {
				sizes := mustSizes(job.sizes)
				b.Run(job.name, func(b *testing.B) {
					// One untimed run first: the first decode in a process pays for fresh
					// pages and libvips' first-use set-up, which a warm server does not.
					if _, err := r.Resize(src, sizes); err != nil {
						b.Fatal(err)
					}
					peak := startPeak()
					cpu0 := cpuTime()
					b.ReportAllocs()
					b.ResetTimer()
					for b.Loop() {
						vs, err := r.Resize(src, sizes)
						if err != nil {
							b.Fatal(err)
						}
						if len(vs) != len(sizes) || len(vs[len(vs)-1].Body) == 0 {
							b.Fatalf("%d variants", len(vs))
						}
					}
					b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
					b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
					peak.report(b)
				})
			}
		})
	}
}

// BenchmarkResizeParallel: 800x600 misses from GOMAXPROCS goroutines at once (two on the 2-core
// benchmark machine, like the peers' two-worker throughput run); reports images/s.
func BenchmarkResizeParallel(b *testing.B) {
	dir := benchDir(b)
	r := newResizer()
	sizes := mustSizes("800x600")
	for _, name := range benchImages {
		b.Run(name, func(b *testing.B) {
			src := benchImage(b, dir, name)
			if _, err := r.Resize(src, sizes); err != nil {
				b.Fatal(err)
			}
			peak := startPeak()
			var n atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := r.Resize(src, sizes); err != nil {
						b.Error(err)
						return
					}
					n.Add(1)
				}
			})
			b.ReportMetric(float64(n.Load())/b.Elapsed().Seconds(), "img/s")
			peak.report(b)
		})
	}
}

// cpuTime is the process's user+system CPU time: on a shared machine it moves less than the wall
// clock (libvips runs one thread per pipeline here, so both are close on a quiet machine).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS measures the process's peak resident set over a benchmark (Linux; nothing elsewhere).
type peakRSS struct{ ok bool }

func startPeak() peakRSS {
	runtime.GC()
	debug.FreeOSMemory()
	// "5" resets VmHWM to the current RSS (Linux 4.0+).
	return peakRSS{ok: os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil}
}

func (p peakRSS) report(b *testing.B) {
	if !p.ok {
		return
	}
	if kb := statusKB("VmHWM:"); kb > 0 {
		b.ReportMetric(float64(kb)/1024, "peak-RSS-MB")
	}
}

func statusKB(field string) int64 {
	f, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(f))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// Command formatbench measures what AVIF and WebP variants cost and save against the JPEG the
// origin writes today, at 800x600 on the given photos, in-process through libvips:
//
//	go run ./cmd/formatbench quality testdata/originals/*.jpg   # bytes and SSIM per setting
//	go run ./cmd/formatbench time testdata/originals/*.jpg      # CPU time of whole misses
//	go run ./cmd/formatbench -webp quality|time <photos>        # WebP efforts and presets only
//
// quality: each photo is resized once (vips_thumbnail, centre crop) into a reference held in
// memory; every setting encodes that reference, the result is decoded again by libvips, and SSIM
// is computed here on luma (BT.601), 11x11 Gaussian window (sigma 1.5), K1 0.01, K2 0.03, over
// the whole frame but a 5-pixel border: the classic Wang et al. definition. For each format and
// effort it prints the smallest setting whose SSIM is at least the JPEG's.
// time: a miss is decode + resize + encode from the original's bytes; CPU time (getrusage, all
// threads) with libvips on one thread, median of 3, rounds interleaved, as ratios to JPEG.
// It is a measuring tool, not a test: numbers go to docs/PERFORMANCE.md.
package main

/*
#cgo pkg-config: vips
#include <stdlib.h>
#include <sys/resource.h>
#include <vips/vips.h>

static double cpu(void) {
	struct rusage u; getrusage(RUSAGE_SELF, &u);
	return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}
static int save(VipsImage *in, int fmt, int q, int effort, int preset, void **buf, size_t *len) {
	switch (fmt) {
	case 0: return vips_jpegsave_buffer(in, buf, len, "Q", q, "interlace", TRUE, "strip", TRUE, NULL);
	case 1: return vips_webpsave_buffer(in, buf, len, "Q", q, "strip", TRUE, "effort", effort, "preset", preset, NULL);
	default: return vips_heifsave_buffer(in, buf, len, "Q", q, "compression", VIPS_FOREIGN_HEIF_COMPRESSION_AV1, "effort", effort, "strip", TRUE, NULL);
	}
}
// miss: decode + resize + encode from the original's bytes, as an origin miss does.
static int miss(const void *src, size_t n, int fmt, int q, int effort, int preset, void **buf, size_t *len) {
	VipsImage *t;
	if (vips_thumbnail_buffer((void *)src, n, &t, 800, "height", 600, "crop", VIPS_INTERESTING_CENTRE, NULL)) return -1;
	int r = save(t, fmt, q, effort, preset, buf, len);
	g_object_unref(t);
	return r;
}
static int ref(const void *src, size_t n, VipsImage **out) {
	VipsImage *t;
	if (vips_thumbnail_buffer((void *)src, n, &t, 800, "height", 600, "crop", VIPS_INTERESTING_CENTRE, NULL)) return -1;
	*out = vips_image_copy_memory(t);
	g_object_unref(t);
	return *out ? 0 : -1;
}
static unsigned char *rgb(const void *buf, size_t n, int *w, int *h) {
	VipsImage *a = vips_image_new_from_buffer(buf, n, "", NULL), *b, *c;
	if (!a) return NULL;
	if (vips_colourspace(a, &b, VIPS_INTERPRETATION_sRGB, NULL)) return NULL;
	if (vips_extract_band(b, &c, 0, "n", 3, NULL)) return NULL;
	size_t sz;
	unsigned char *m = vips_image_write_to_memory(c, &sz);
	*w = c->Xsize; *h = c->Ysize;
	g_object_unref(a); g_object_unref(b); g_object_unref(c);
	return m;
}
static int encodeRef(VipsImage *in, int fmt, int q, int effort, int preset, void **buf, size_t *len) { return save(in, fmt, q, effort, preset, buf, len); }
*/
import "C"

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"unsafe"
)

var fmtName = []string{"jpeg", "webp", "avif"}

// setting is one encoder setting: format (0 JPEG, 1 WebP, 2 AVIF), Q, effort and, for WebP,
// libvips' preset (0 default, 2 photo).
type setting struct{ f, q, e, p int }

func (s setting) String() string {
	if s.f == 0 {
		return fmt.Sprintf("jpeg Q%d", s.q)
	}
	if s.p != 0 {
		return fmt.Sprintf("%s Q%d effort %d preset %d", fmtName[s.f], s.q, s.e, s.p)
	}
	return fmt.Sprintf("%s Q%d effort %d", fmtName[s.f], s.q, s.e)
}

// kind is a setting without its Q: what "the smallest Q that reaches JPEG's SSIM" is found for.
type kind struct{ f, e, p int }

func (k kind) String() string { return setting{k.f, 0, k.e, k.p}.String() }

// webpKinds are the WebP efforts and presets -webp tries.
var webpKinds = []kind{{1, 0, 0}, {1, 1, 0}, {1, 2, 0}, {1, 3, 0}, {1, 4, 0}, {1, 0, 2}, {1, 2, 2}, {1, 4, 2}}

func luma(b []byte, w, h int) []float64 {
	y := make([]float64, w*h)
	for i := range y {
		y[i] = 0.299*float64(b[3*i]) + 0.587*float64(b[3*i+1]) + 0.114*float64(b[3*i+2])
	}
	return y
}

func decode(buf []byte) ([]float64, int, int) {
	var w, h C.int
	m := C.rgb(unsafe.Pointer(&buf[0]), C.size_t(len(buf)), &w, &h)
	if m == nil {
		panic("decode")
	}
	defer C.g_free(C.gpointer(m))
	return luma(C.GoBytes(unsafe.Pointer(m), w*h*3), int(w), int(h)), int(w), int(h)
}

func ssim(a, b []float64, w, h int) float64 {
	const r = 5
	var k [2*r + 1]float64
	s := 0.0
	for i := -r; i <= r; i++ {
		k[i+r] = math.Exp(-float64(i*i) / (2 * 1.5 * 1.5))
		s += k[i+r]
	}
	for i := range k {
		k[i] /= s
	}
	blur := func(x []float64) []float64 {
		t, o := make([]float64, w*h), make([]float64, w*h)
		for j := 0; j < h; j++ {
			for i := r; i < w-r; i++ {
				v := 0.0
				for d := -r; d <= r; d++ {
					v += k[d+r] * x[j*w+i+d]
				}
				t[j*w+i] = v
			}
		}
		for j := r; j < h-r; j++ {
			for i := r; i < w-r; i++ {
				v := 0.0
				for d := -r; d <= r; d++ {
					v += k[d+r] * t[(j+d)*w+i]
				}
				o[j*w+i] = v
			}
		}
		return o
	}
	prod := func(x, y []float64) []float64 {
		p := make([]float64, len(x))
		for i := range x {
			p[i] = x[i] * y[i]
		}
		return p
	}
	ma, mb := blur(a), blur(b)
	saa, sbb, sab := blur(prod(a, a)), blur(prod(b, b)), blur(prod(a, b))
	c1, c2 := math.Pow(0.01*255, 2), math.Pow(0.03*255, 2)
	sum, n := 0.0, 0
	for j := r; j < h-r; j++ {
		for i := r; i < w-r; i++ {
			p := j*w + i
			va, vb, cv := saa[p]-ma[p]*ma[p], sbb[p]-mb[p]*mb[p], sab[p]-ma[p]*mb[p]
			sum += ((2*ma[p]*mb[p] + c1) * (2*cv + c2)) / ((ma[p]*ma[p] + mb[p]*mb[p] + c1) * (va + vb + c2))
			n++
		}
	}
	return sum / float64(n)
}

func encode(ref *C.VipsImage, s setting) []byte {
	var buf unsafe.Pointer
	var n C.size_t
	if C.encodeRef(ref, C.int(s.f), C.int(s.q), C.int(s.e), C.int(s.p), &buf, &n) != 0 {
		panic(C.GoString(C.vips_error_buffer()))
	}
	defer C.g_free(C.gpointer(buf))
	return C.GoBytes(buf, C.int(n))
}

// missCPU is the median CPU seconds of reps whole misses (decode, resize, encode).
func missCPU(src []byte, s setting, reps int) float64 {
	var ts []float64
	for range reps {
		var buf unsafe.Pointer
		var n C.size_t
		t0 := C.cpu()
		if C.miss(unsafe.Pointer(&src[0]), C.size_t(len(src)), C.int(s.f), C.int(s.q), C.int(s.e), C.int(s.p), &buf, &n) != 0 {
			panic("miss")
		}
		ts = append(ts, float64(C.cpu()-t0))
		C.g_free(C.gpointer(buf))
	}
	slices.Sort(ts)
	return ts[len(ts)/2]
}

func main() {
	if C.vips_init(C.CString("measure")) != 0 {
		panic("vips_init")
	}
	C.vips_concurrency_set(1)
	C.vips_cache_set_max(0)
	webpOnly := flag.Bool("webp", false, "WebP efforts and presets only (no AVIF)")
	webpQ := flag.Int("q", 80, "with -webp time: the WebP Q every effort is timed at")
	flag.Parse()
	mode, photos := flag.Arg(0), flag.Args()[1:]
	for _, p := range photos {
		src, err := os.ReadFile(p)
		if err != nil {
			panic(err)
		}
		var ref *C.VipsImage
		if C.ref(unsafe.Pointer(&src[0]), C.size_t(len(src)), &ref) != 0 {
			panic("ref")
		}
		var w, h C.int
		m := C.vips_image_write_to_memory(ref, nil)
		w, h = C.int(ref.Xsize), C.int(ref.Ysize)
		refY := luma(C.GoBytes(m, w*h*3), int(w), int(h))
		C.g_free(C.gpointer(m))
		if ref.Bands != 3 {
			panic(p + ": want a 3-band photo")
		}
		name := filepath.Base(p)
		jpeg := setting{0, 80, 0, 0}
		jb := encode(ref, jpeg)
		jy, _, _ := decode(jb)
		js := ssim(refY, jy, int(w), int(h))
		switch mode {
		case "quality":
			fmt.Printf("%s,%s,%d,%.5f,1.000\n", name, jpeg, len(jb), js)
			totalJPEG += len(jb)
			sumJPEGSSIM += js
			var sets []setting
			kinds := []kind{{1, 4, 0}, {2, 0, 0}, {2, 1, 0}, {2, 2, 0}}
			if *webpOnly {
				kinds = webpKinds
			}
			for _, k := range kinds {
				lo, hi := 60, 95
				if k.f == 2 {
					lo, hi = 45, 85
				}
				for q := lo; q <= hi; q++ {
					sets = append(sets, setting{k.f, q, k.e, k.p})
				}
			}
			best := map[kind]string{}
			for _, s := range sets {
				b := encode(ref, s)
				y, _, _ := decode(b)
				q := ssim(refY, y, int(w), int(h))
				ratio := float64(len(b)) / float64(len(jb))
				fmt.Printf("%s,%s,%d,%.5f,%.3f\n", name, s, len(b), q, ratio)
				all[s] = append(all[s], result{len(b), q, q >= js})
				if k := (kind{s.f, s.e, s.p}); q >= js && best[k] == "" {
					best[k] = fmt.Sprintf("%s: %d bytes, %.3fx JPEG, SSIM %.5f", s, len(b), ratio, q)
				}
			}
			for _, k := range kinds {
				if best[k] == "" {
					best[k] = fmt.Sprintf("%s: no setting tried reaches SSIM %.5f", k, js)
				}
				fmt.Printf("# %s smallest at JPEG's SSIM or better: %s\n", name, best[k])
			}
		case "time":
			sets := []setting{jpeg, {1, 80, 4, 0}, {1, 90, 4, 0}, {2, 65, 0, 0}, {2, 75, 0, 0}, {2, 65, 1, 0}, {2, 75, 1, 0}, {2, 65, 2, 0}, {2, 60, 4, 0}}
			if *webpOnly {
				sets = []setting{jpeg}
				for _, k := range webpKinds {
					sets = append(sets, setting{k.f, *webpQ, k.e, k.p})
				}
			}
			// Interleave rounds so drift from other load hits every setting alike.
			sum := make([]float64, len(sets))
			for range 3 {
				for i, s := range sets {
					sum[i] += missCPU(src, s, 3)
				}
			}
			for i, s := range sets {
				fmt.Printf("%s,%s,miss_cpu_ms=%.1f,ratio_to_jpeg=%.2f\n", name, s, sum[i]/3*1000, sum[i]/sum[0])
			}
		}
		C.g_object_unref(C.gpointer(ref))
	}
	if mode != "quality" {
		return
	}
	// One setting for every photo, as the origin has: the smallest Q of each format and effort
	// whose SSIM is at least the JPEG's on every photo, and its bytes over all photos.
	var keys []setting
	for s := range all {
		keys = append(keys, s)
	}
	slices.SortFunc(keys, func(a, b setting) int { return (a.f-b.f)*100000 + (a.p-b.p)*10000 + (a.e-b.e)*100 + a.q - b.q })
	// And the looser reading: mean SSIM over the photos at least the JPEGs' mean.
	every, mean := map[kind]bool{}, map[kind]bool{}
	n := float64(len(photos))
	for _, s := range keys {
		rs := all[s]
		ok, bytes, sum := len(rs) == len(photos), 0, 0.0
		for _, r := range rs {
			ok = ok && r.ok
			bytes += r.bytes
			sum += r.ssim
		}
		ratio := float64(bytes) / float64(totalJPEG)
		if k := (kind{s.f, s.e, s.p}); ok && !every[k] {
			every[k] = true
			fmt.Printf("# all photos: %s reaches JPEG's SSIM on every photo at %.3fx JPEG's bytes in total\n", s, ratio)
		}
		if k := (kind{s.f, s.e, s.p}); sum/n >= sumJPEGSSIM/n && !mean[k] {
			mean[k] = true
			fmt.Printf("# all photos: %s reaches JPEG's mean SSIM (%.5f >= %.5f) at %.3fx JPEG's bytes in total\n", s, sum/n, sumJPEGSSIM/n, ratio)
		}
	}
}

type result struct {
	bytes int
	ssim  float64
	ok    bool
}

var (
	all         = map[setting][]result{}
	totalJPEG   int
	sumJPEGSSIM float64
)

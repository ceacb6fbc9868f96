package imaging

/*
#cgo pkg-config: vips
#include "vips.h"
*/
import "C"

import (
	"errors"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"github.com/h2non/bimg"

	"github.com/imgorigin/imgorigin/handler/format"
)

var setupOnce sync.Once

// setup finishes libvips' start-up: bimg has started libvips when it was loaded; turn off the
// operation cache (no two misses share an operation) and block every loader but ours.
func setup() {
	setupOnce.Do(func() {
		bimg.Initialize()
		bimg.VipsCacheSetMax(0)
		bimg.VipsCacheSetMaxMem(0)
		C.origin_setup()
	})
}

// header is what libvips reads from the header alone.
type header struct {
	Width, Height, Pages, Orientation int
	ICC, CMYK, Alpha                  bool
}

func readHeader(src []byte) (header, error) {
	var h C.origin_header
	if C.origin_read_header(unsafe.Pointer(&src[0]), C.size_t(len(src)), &h) != 0 {
		return header{}, vipsError()
	}
	return header{int(h.width), int(h.height), int(h.pages), int(h.orientation), h.has_icc != 0, h.cmyk != 0, h.alpha != 0}, nil
}

var cFormat = map[format.Format]C.int{
	format.JPEG: C.ORIGIN_JPEG,
	format.PNG:  C.ORIGIN_PNG,
	format.GIF:  C.ORIGIN_GIF,
	format.WebP: C.ORIGIN_WEBP,
	format.AVIF: C.ORIGIN_AVIF,
}

var cLoader = map[Loader]C.int{
	LoadJPEG:      C.ORIGIN_LOAD_JPEG,
	LoadPNG:       C.ORIGIN_LOAD_PNG,
	LoadThumbnail: C.ORIGIN_LOAD_THUMBNAIL,
	LoadCMYK:      C.ORIGIN_LOAD_CMYK,
}

var cOp = map[Op]C.int{
	OpFirst:     C.ORIGIN_OP_FIRST,
	OpResize:    C.ORIGIN_OP_RESIZE,
	OpThumbnail: C.ORIGIN_OP_THUMBNAIL,
}

func cBool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// run executes p on src in one cgo call and returns one body per step, in the steps' order.
// libvips reads src lazily, so src must not be touched by C after the call returns.
func run(src []byte, p Plan) ([][]byte, error) {
	n := len(p.Steps)
	steps := (*[1 << 16]C.origin_step)(C.calloc(C.size_t(n), C.sizeof_origin_step))[:n:n]
	defer C.free(unsafe.Pointer(&steps[0]))
	for i, s := range p.Steps {
		e := s.Encoder
		steps[i] = C.origin_step{op: cOp[s.Op], from_first: cBool(s.FromFirst), keep: cBool(s.Keep),
			w: C.int(s.W), h: C.int(s.H), hscale: C.double(s.HScale), vscale: C.double(s.VScale),
			enc: C.origin_encoder{format: cFormat[e.Format], quality: C.int(e.Quality), effort: C.int(e.Effort),
				compression: C.int(e.Compression), filter_all: cBool(e.FilterAll),
				progressive: cBool(e.Progressive), flatten: cBool(e.Flatten)}}
	}
	cp := C.origin_plan{loader: cLoader[p.Loader], shrink: C.int(p.Shrink), box_shrink: C.int(p.BoxShrink),
		cut_x: C.int(p.Cut.X), cut_y: C.int(p.Cut.Y), cut_w: C.int(p.Cut.W), cut_h: C.int(p.Cut.H),
		w: C.int(p.W), h: C.int(p.H), fill: cBool(p.Fill), export_srgb: cBool(p.ExportSRGB), hold: cBool(p.Hold)}
	r := C.origin_run(unsafe.Pointer(&src[0]), C.size_t(len(src)), &cp, &steps[0], C.int(n))
	runtime.KeepAlive(src)
	bodies := make([][]byte, n)
	for i := range steps {
		if steps[i].buf != nil {
			bodies[i] = C.GoBytes(steps[i].buf, C.int(steps[i].len))
			C.g_free(C.gpointer(steps[i].buf))
		}
	}
	if r != 0 {
		return nil, vipsError()
	}
	return bodies, nil
}

// vipsError takes libvips' error text (for the log only) and clears it.
func vipsError() error {
	msg := strings.TrimSpace(C.GoString(C.vips_error_buffer()))
	C.vips_error_clear()
	if msg == "" {
		msg = "libvips failed"
	}
	return errors.New(msg)
}

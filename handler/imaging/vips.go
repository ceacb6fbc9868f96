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
	"github.com/imgorigin/imgorigin/handler/size"
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
		if err := checkDecoders(); err != nil {
			panic("imaging: " + err.Error())
		}
	})
}

// header is what libvips reads from the header alone.
type header struct{ Width, Height, Pages, Orientation int }

func readHeader(src []byte) (header, error) {
	var h C.origin_header
	if C.origin_read_header(unsafe.Pointer(&src[0]), C.size_t(len(src)), &h) != 0 {
		return header{}, vipsError()
	}
	return header{int(h.width), int(h.height), int(h.pages), int(h.orientation)}, nil
}

var cFormat = map[format.Format]C.int{
	format.JPEG: C.ORIGIN_JPEG,
	format.PNG:  C.ORIGIN_PNG,
	format.GIF:  C.ORIGIN_GIF,
	format.WebP: C.ORIGIN_WEBP,
	format.AVIF: C.ORIGIN_AVIF,
}

// resize runs the whole libvips pipeline in one cgo call: libvips reads src lazily, so src must
// not be touched by C after the call returns.
func resize(src []byte, out format.Format, quality int, sizes []size.Size) ([][]byte, error) {
	targets := (*[1 << 16]C.origin_target)(C.calloc(C.size_t(len(sizes)), C.sizeof_origin_target))[:len(sizes):len(sizes)]
	defer C.free(unsafe.Pointer(&targets[0]))
	for i, s := range sizes {
		targets[i].w, targets[i].h = C.int(s.W), C.int(s.H)
	}
	r := C.origin_resize(unsafe.Pointer(&src[0]), C.size_t(len(src)), cFormat[out], C.int(quality), &targets[0], C.int(len(sizes)))
	runtime.KeepAlive(src)
	bodies := make([][]byte, len(sizes))
	for i := range targets {
		if targets[i].buf != nil {
			bodies[i] = C.GoBytes(targets[i].buf, C.int(targets[i].len))
			C.g_free(C.gpointer(targets[i].buf))
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

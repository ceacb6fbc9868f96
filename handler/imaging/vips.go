package imaging

/*
#cgo pkg-config: vips
#include "vips.h"
*/
import "C"

import (
	"errors"
	"image"
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
		if err := checkDecoders(); err != nil {
			panic("imaging: " + err.Error())
		}
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
	img, err := loadFirst(src, p)
	if err != nil {
		return nil, err
	}
	return img.run(p)
}

// first is the plan's first image, held by C between calls (Resizer.Make analyses it before
// it decides where the steps cut). It keeps src alive until run.
type first struct {
	img  *C.VipsImage
	src  []byte
	W, H int
}

// loadFirst makes p's first image from src.
func loadFirst(src []byte, p Plan) (*first, error) {
	cp := cPlan(p)
	var img *C.VipsImage
	if C.origin_first(unsafe.Pointer(&src[0]), C.size_t(len(src)), &cp, &img) != 0 {
		runtime.KeepAlive(src)
		return nil, vipsError()
	}
	return &first{img: img, src: src, W: int(img.Xsize), H: int(img.Ysize)}, nil
}

// close releases the image if run has not.
func (f *first) close() {
	if f.img != nil {
		C.origin_unref(f.img)
		f.img = nil
	}
	runtime.KeepAlive(f.src)
}

// run executes p's steps on the first image and releases it: one body per step, in order.
func (f *first) run(p Plan) ([][]byte, error) {
	n := len(p.Steps)
	steps := (*[1 << 16]C.origin_step)(C.calloc(C.size_t(n), C.sizeof_origin_step))[:n:n]
	defer C.free(unsafe.Pointer(&steps[0]))
	for i, s := range p.Steps {
		e := s.Encoder
		steps[i] = C.origin_step{op: cOp[s.Op], from_first: cBool(s.FromFirst), keep: cBool(s.Keep),
			w: C.int(s.W), h: C.int(s.H), hscale: C.double(s.HScale), vscale: C.double(s.VScale),
			cut_x: C.int(s.Cut.X), cut_y: C.int(s.Cut.Y), cut_w: C.int(s.Cut.W), cut_h: C.int(s.Cut.H),
			enc: C.origin_encoder{format: cFormat[e.Format], quality: C.int(e.Quality), effort: C.int(e.Effort),
				compression: C.int(e.Compression), filter_all: cBool(e.FilterAll),
				progressive: cBool(e.Progressive), flatten: cBool(e.Flatten)}}
	}
	cp := cPlan(p)
	img := f.img
	f.img = nil // origin_steps takes the reference
	r := C.origin_steps(img, &cp, &steps[0], C.int(n))
	runtime.KeepAlive(f.src)
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

// smartcrop is what libvips' smartcrop finds for a w x h box on the first image: the attention
// centre (attention only) and the box's top-left corner.
func (f *first) smartcrop(entropy bool, w, h int) (ax, ay int, box Rect, err error) {
	interesting := C.int(C.VIPS_INTERESTING_ATTENTION)
	if entropy {
		interesting = C.VIPS_INTERESTING_ENTROPY
	}
	var cx, cy, left, top C.int
	if C.origin_smartcrop(f.img, interesting, C.int(w), C.int(h), &cx, &cy, &left, &top) != 0 {
		return 0, 0, Rect{}, vipsError()
	}
	return int(cx), int(cy), Rect{int(left), int(top), w, h}, nil
}

// thumb is an sRGB copy of the first image box-shrunk by shrink, orientation applied.
func (f *first) thumb(shrink int) (*image.NRGBA, error) {
	var buf unsafe.Pointer
	var n C.size_t
	var tw, th C.int
	if C.origin_thumb(f.img, C.int(shrink), &buf, &n, &tw, &th) != 0 {
		return nil, vipsError()
	}
	defer C.g_free(C.gpointer(buf))
	rgb := unsafe.Slice((*byte)(buf), int(n))
	img := image.NewNRGBA(image.Rect(0, 0, int(tw), int(th)))
	if len(rgb) != int(tw)*int(th)*3 {
		return nil, errors.New("thumbnail: unexpected pixel layout")
	}
	for i, j := 0, 0; i < len(rgb); i, j = i+3, j+4 {
		img.Pix[j], img.Pix[j+1], img.Pix[j+2], img.Pix[j+3] = rgb[i], rgb[i+1], rgb[i+2], 255
	}
	return img, nil
}

func cPlan(p Plan) C.origin_plan {
	return C.origin_plan{loader: cLoader[p.Loader], shrink: C.int(p.Shrink), box_shrink: C.int(p.BoxShrink),
		cut_x: C.int(p.Cut.X), cut_y: C.int(p.Cut.Y), cut_w: C.int(p.Cut.W), cut_h: C.int(p.Cut.H),
		w: C.int(p.W), h: C.int(p.H), fill: cBool(p.Fill), export_srgb: cBool(p.ExportSRGB), hold: cBool(p.Hold)}
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

package imaging

/*
#cgo pkg-config: vips
#include <stdlib.h>
int origin_decode_avg(const void *src, size_t len, double *avg);
const char *origin_libvips_version(void);
*/
import "C"

import (
	_ "embed"
	"fmt"
	"math"
	"strings"
	"unsafe"
)

// Two 64x64 images of one colour, sRGB (200, 100, 50): a HEIC (HEVC) and an AVIF (AV1).
var (
	//go:embed startupcheck/tiny.heic
	tinyHEIC []byte
	//go:embed startupcheck/tiny.avif
	tinyAVIF []byte
)

// probes are the images checkDecoders decodes.
var probes = []struct {
	name string
	src  []byte
}{{"HEIC", tinyHEIC}, {"AVIF", tinyAVIF}}

// checkDecoders decodes a tiny HEIC and AVIF. libheif loads its codecs as plugins at run time;
// a missing or unloadable plugin only shows when pixels are decoded (the header still reads), so
// a broken package would answer every iPhone upload with a 422. This turns it into a start-up
// failure that names the plugin folder.
func checkDecoders() error {
	for _, p := range probes {
		if err := checkDecoder(p.name, p.src); err != nil {
			return err
		}
	}
	return nil
}

func checkDecoder(name string, src []byte) error {
	var avg C.double
	if C.origin_decode_avg(unsafe.Pointer(&src[0]), C.size_t(len(src)), &avg) != 0 {
		return fmt.Errorf("libvips %s cannot decode %s (LIBHEIF_PLUGIN_PATH=%q): %v",
			libvipsVersion(), name, heifPluginPath(), vipsError())
	}
	// (200+100+50)/3, give or take chroma subsampling: pixels, not a fill.
	if math.Abs(float64(avg)-350.0/3) > 4 {
		return fmt.Errorf("libvips %s decodes the %s probe to mean %.1f, want %.1f", libvipsVersion(), name, float64(avg), 350.0/3)
	}
	return nil
}

// heifPluginPath is LIBHEIF_PLUGIN_PATH as libheif sees it: heif.c may have set it after the
// Go runtime took its copy of the environment.
func heifPluginPath() string {
	name := C.CString("LIBHEIF_PLUGIN_PATH")
	defer C.free(unsafe.Pointer(name))
	return C.GoString(C.getenv(name))
}

// libvipsVersion is the version of the libvips this process runs (not of the headers it was
// compiled with).
func libvipsVersion() string {
	return strings.TrimSpace(C.GoString(C.origin_libvips_version()))
}

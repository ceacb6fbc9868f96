// A small C layer over libvips for what bimg does not wrap: vips_thumbnail (shrink-on-load,
// orientation applied after the shrink, ICC to sRGB) and several sizes from one decode.
#include <stdlib.h>
#include <vips/vips.h>

enum { ORIGIN_JPEG = 1, ORIGIN_PNG, ORIGIN_GIF, ORIGIN_WEBP, ORIGIN_AVIF };

typedef struct {
	int w, h;     // in: target size
	void *buf;    // out: encoded image, g_free by the caller
	size_t len;
} origin_target;

typedef struct {
	int width, height, pages, orientation, has_icc;
} origin_header;

int origin_setup(void);
int origin_read_header(const void *src, size_t len, origin_header *hdr);
int origin_resize(const void *src, size_t len, int fmt, int quality, origin_target *t, int n);

// A thin C layer over libvips: it executes a plan made in Go (plan.go), one libvips call after
// another. Every decision (loader, shrink, cut, sizes, order, encoder settings) is the plan's.
#include <stdlib.h>
#include <vips/vips.h>

enum { ORIGIN_JPEG = 1, ORIGIN_PNG, ORIGIN_GIF, ORIGIN_WEBP, ORIGIN_AVIF };
enum { ORIGIN_LOAD_JPEG = 1, ORIGIN_LOAD_PNG, ORIGIN_LOAD_THUMBNAIL, ORIGIN_LOAD_CMYK };
enum { ORIGIN_OP_FIRST = 1, ORIGIN_OP_RESIZE, ORIGIN_OP_THUMBNAIL };

typedef struct {
	int format, quality, effort, compression, filter_all, progressive, flatten;
} origin_encoder;

typedef struct {
	int op, from_first, keep, w, h;
	int cut_x, cut_y, cut_w, cut_h; // OpThumbnail: cut from the source first; cut_w 0: none
	double hscale, vscale;
	origin_encoder enc;
	void *buf;    // out: encoded image, g_free by the caller
	size_t len;
} origin_step;

typedef struct {
	int loader, shrink, box_shrink;
	int cut_x, cut_y, cut_w, cut_h; // cut_w 0: no cut
	int w, h, fill, export_srgb, hold;
} origin_plan;

typedef struct {
	int width, height, pages, orientation, has_icc, cmyk, alpha;
} origin_header;

int origin_setup(void);
int origin_read_header(const void *src, size_t len, origin_header *hdr);
int origin_run(const void *src, size_t len, const origin_plan *p, origin_step *s, int n);
int origin_first(const void *src, size_t len, const origin_plan *p, VipsImage **out);
int origin_steps(VipsImage *img, const origin_plan *p, origin_step *s, int n);
int origin_smartcrop(VipsImage *in, int interesting, int w, int h, int *ax, int *ay, int *left, int *top);
int origin_thumb(VipsImage *in, int shrink, void **buf, size_t *len, int *tw, int *th);
void origin_unref(VipsImage *in);

#include <malloc.h>
#include <string.h>

#include "vips.h"

// malloc_setup keeps glibc's malloc from handing libvips' big buffers back to the kernel between
// requests. By default every thread that allocates may get an arena of its own (up to 8 per
// core), and freed blocks of 128 KiB to 32 MiB go back to the kernel, so libjpeg's whole-image
// buffers for a progressive JPEG (42 MB at 13 MP) come back as fresh pages on most requests:
// about 13,000 page faults each, which under Firecracker (Lambda, and the benchmark machine)
// cost more than the decode itself, and the peak resident set grows with every arena that
// holds a copy (docs/PERFORMANCE.md). One arena, freed memory kept up to 128 MiB and blocks up
// to 32 MiB taken from the arena reuse the same pages from one request to the next: 13 MP
// progressive, 110 ms and 107 MB peak instead of 160-220 ms and 170-280 MB; two arenas measured
// slower and larger both for one request at a time and for two at once.
//
// The operator's own settings win: a non-empty GLIBC_TUNABLES turns this off, MALLOC_ARENA_MAX
// replaces the arena count. It runs as a constructor, before the Go runtime and libvips start
// any thread: glibc fixes its arena limit when the first threads allocate, so a mallopt made
// later (in origin_setup) would be ignored.
__attribute__((constructor)) static void malloc_setup(void) {
#if defined(M_ARENA_MAX) && defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD)
	const char *tunables = getenv("GLIBC_TUNABLES"), *arenas = getenv("MALLOC_ARENA_MAX");
	if (tunables && *tunables)
		return;
	if (!arenas || !*arenas)
		mallopt(M_ARENA_MAX, 1);
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 128 << 20);
#endif
}

// origin_setup blocks every libvips loader, then re-allows the ones the service reads.
// Package format has already refused other content; this keeps libvips from guessing. The
// libvips build (third_party/vips) has no other format library, but every libvips has loaders
// for its own .vips files, matrix, CSV and raw that no build option removes: they stay blocked.
int origin_setup(void) {
	vips_block_untrusted_set(TRUE);
	vips_operation_block_set("VipsForeignLoad", TRUE);
	vips_operation_block_set("VipsForeignLoadJpeg", FALSE);
	vips_operation_block_set("VipsForeignLoadPng", FALSE);
	vips_operation_block_set("VipsForeignLoadNsgif", FALSE);
	vips_operation_block_set("VipsForeignLoadWebp", FALSE);
	vips_operation_block_set("VipsForeignLoadHeif", FALSE);
	return 0;
}

// origin_read_header reads only the header: libvips loads lazily.
int origin_read_header(const void *src, size_t len, origin_header *hdr) {
	VipsImage *im = vips_image_new_from_buffer(src, len, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
	if (!im)
		return -1;
	hdr->width = vips_image_get_width(im);
	hdr->height = vips_image_get_height(im);
	hdr->pages = vips_image_get_n_pages(im);
	hdr->orientation = vips_image_get_orientation(im);
	hdr->has_icc = vips_image_get_typeof(im, VIPS_META_ICC_NAME) != 0;
	g_object_unref(im);
	return 0;
}

static int save(VipsImage *in, int fmt, int quality, void **buf, size_t *len) {
	switch (fmt) {
	case ORIGIN_JPEG: {
		VipsImage *flat = NULL;
		int r;
		if (vips_image_hasalpha(in)) {
			double white[1] = {255};
			VipsArrayDouble *bg = vips_array_double_new(white, 1);
			r = vips_flatten(in, &flat, "background", bg, NULL);
			vips_area_unref(VIPS_AREA(bg));
			if (r)
				return r;
			in = flat;
		}
		r = vips_jpegsave_buffer(in, buf, len, "Q", quality, "interlace", TRUE, "strip", TRUE, NULL);
		if (flat)
			g_object_unref(flat);
		return r;
	}
	case ORIGIN_PNG:
		// zlib level 1 with libpng's adaptive row filters: on an 800x600 photo 29 ms and
		// 675 KB, where libvips' default (level 6, no filter) takes 41 ms for 904 KB.
		return vips_pngsave_buffer(in, buf, len, "strip", TRUE, "compression", 1,
			"filter", VIPS_FOREIGN_PNG_FILTER_ALL, NULL);
	case ORIGIN_WEBP:
		return vips_webpsave_buffer(in, buf, len, "Q", quality, "strip", TRUE, NULL);
	case ORIGIN_GIF:
		return vips_gifsave_buffer(in, buf, len, "strip", TRUE, NULL);
	case ORIGIN_AVIF:
		return vips_heifsave_buffer(in, buf, len, "Q", quality > 60 ? quality - 20 : quality,
			"compression", VIPS_FOREIGN_HEIF_COMPRESSION_AV1, "effort", 2, "strip", TRUE, NULL);
	}
	vips_error("origin", "unknown output format %d", fmt);
	return -1;
}

// fill makes one exact w x h centre crop from a decoded or lazily loaded image.
static int fill_from_image(VipsImage *in, origin_target *t, int fmt, int quality) {
	VipsImage *out = NULL;
	if (vips_thumbnail_image(in, &out, t->w, "height", t->h, "crop", VIPS_INTERESTING_CENTRE,
			"size", VIPS_SIZE_BOTH, NULL))
		return -1;
	int r = save(out, fmt, quality, &t->buf, &t->len);
	g_object_unref(out);
	return r;
}

static int is_jpeg(const void *src, size_t len) {
	const unsigned char *p = src;
	return len >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF;
}

// dct_shrink is the largest libjpeg DCT scaling (1/1, 1/2, 1/4, 1/8) that still leaves at least
// scale of the original's pixels, so that what follows only ever reduces. libvips' thumbnail
// picks one step less ("leave at least a factor of two for the final resize"): on the benchmark
// photos that decodes 4x the pixels (2 MP, 6 MP: no DCT scaling at all) for no visible gain,
// since libjpeg's scaled IDCT is a proper low-pass, not a block average. sharp and imgproxy
// shrink on load as far as this does.
static int dct_shrink(double scale) {
	int shrink = 1;
	while (shrink < 8 && scale * shrink * 2 <= 1.0)
		shrink *= 2;
	return shrink;
}

static int is_png(const void *src, size_t len) {
	return len >= 8 && memcmp(src, "\x89PNG\r\n\x1a\n", 8) == 0;
}

// thumb resizes src to w x h (crop: filled and centre-cropped; otherwise fitted inside), the
// orientation applied after the shrink, an embedded profile converted to sRGB. scale is the
// final size over the upright original's, for JPEG's shrink-on-load. JPEG and PNG are loaded
// here and, for a crop, cut to the target's aspect ratio before anything is resampled (a
// portrait photo cut to 4:3 is half waste, a 16:9 one a quarter); other formats go through
// vips_thumbnail_buffer (WebP and HEIF shrink on load there).
static int thumb(const void *src, size_t len, const origin_header *hdr, double scale, int w, int h,
		VipsInteresting crop, VipsImage **out) {
	// An embedded profile is converted to sRGB through ICC. Without one the pixels are taken
	// as sRGB already (an sRGB-to-sRGB transform would only shift colours).
	const char *export = hdr->has_icc ? "srgb" : NULL;
	VipsImage *in = NULL, *cut = NULL;
	if (is_jpeg(src, len)) {
		if (vips_jpegload_buffer((void *) src, len, &in, "shrink", dct_shrink(scale),
				"access", VIPS_ACCESS_SEQUENTIAL, "fail_on", VIPS_FAIL_ON_ERROR, NULL))
			return -1;
	}
	else if (is_png(src, len)) {
		if (vips_pngload_buffer((void *) src, len, &in,
				"access", VIPS_ACCESS_SEQUENTIAL, "fail_on", VIPS_FAIL_ON_ERROR, NULL))
			return -1;
	}
	else
		return vips_thumbnail_buffer((void *) src, len, out, w, "height", h, "crop", crop,
			"size", VIPS_SIZE_BOTH, "fail_on", VIPS_FAIL_ON_ERROR, "export_profile", export, NULL);
	if (crop != VIPS_INTERESTING_NONE) {
		// The target's aspect ratio as stored (turned back if the orientation swaps axes);
		// mirroring does not move a centred box. thumbnail's own crop then trims at most
		// a pixel of rounding.
		double sw = hdr->orientation >= 5 ? h : w, sh = hdr->orientation >= 5 ? w : h;
		int iw = in->Xsize, ih = in->Ysize, cw = iw, ch = ih;
		if (iw * sh > ih * sw)
			cw = VIPS_MAX(1, (int) VIPS_RINT(ih * sw / sh));
		else
			ch = VIPS_MAX(1, (int) VIPS_RINT(iw * sh / sw));
		if (cw < iw || ch < ih) {
			int r = vips_extract_area(in, &cut, (iw - cw) / 2, (ih - ch) / 2, cw, ch, NULL);
			g_object_unref(in);
			if (r)
				return -1;
			in = cut;
		}
	}
	// PNG has no shrink-on-load: a box shrink by the same power of two stands in for it, so
	// that the Lanczos reduction after it works on a small image (12 MP to 800x600: 60 ms
	// down to 15). Not with alpha, which thumbnail premultiplies first.
	int shrink = dct_shrink(scale);
	if (!is_jpeg(src, len) && shrink > 1 && !vips_image_hasalpha(in)) {
		VipsImage *small = NULL;
		int r = vips_shrink(in, &small, shrink, shrink, NULL);
		g_object_unref(in);
		if (r)
			return -1;
		in = small;
	}
	int r = vips_thumbnail_image(in, out, w, "height", h, "crop", crop, "size", VIPS_SIZE_BOTH,
		"export_profile", export, NULL);
	g_object_unref(in);
	return r;
}

// origin_resize makes every target from src, decoding it once.
//
// The largest target is made straight from the original: JPEG shrink-on-load as far as the
// size allows, then one resample and a centre crop, the orientation applied to the small image,
// an embedded profile converted to sRGB. If it is the only target it streams to the encoder.
// Otherwise it is held in memory, and every other target of the same aspect ratio (the standard
// 800x600, 400x300, 200x150) is a plain reduction of it: no second pass over the original, and
// exactly the bytes a request for the largest size alone gets.
//
// Targets of other aspect ratios share a "cover" instead: the original
// shrunk once to the smallest image that still covers every target, held in memory, and each
// target cut from that.
int origin_resize(const void *src, size_t len, int fmt, int quality, origin_target *t, int n) {
	origin_header hdr;
	if (origin_read_header(src, len, &hdr))
		return -1;
	double w0 = hdr.width, h0 = hdr.height;
	if (hdr.orientation >= 5) {
		w0 = hdr.height;
		h0 = hdr.width;
	}
	int base = 0;
	for (int i = 1; i < n; i++)
		if ((long) t[i].w * t[i].h > (long) t[base].w * t[base].h)
			base = i;
	int same_aspect = 1;
	for (int i = 0; i < n; i++)
		if ((long) t[i].w * t[base].h != (long) t[i].h * t[base].w || t[i].w > t[base].w)
			same_aspect = 0;

	VipsImage *img = NULL, *mem = NULL;
	int r = 0;
	if (same_aspect) {
		double scale = VIPS_MAX(t[base].w / w0, t[base].h / h0);
		if (thumb(src, len, &hdr, scale, t[base].w, t[base].h, VIPS_INTERESTING_CENTRE, &img))
			return -1;
		if (n == 1) {
			r = save(img, fmt, quality, &t[0].buf, &t[0].len);
			g_object_unref(img);
			return r;
		}
		// Largest first, each next size reduced from the one made just before it (800x600,
		// then 400x300 from it, then 200x150 from that): every step is a plain Lanczos
		// reduction of a small in-memory image, exact since the aspect ratios are equal
		// (through thumbnail, which premultiplies, if there is alpha).
		VipsImage *prev = NULL;
		int done[n];
		memset(done, 0, sizeof(done));
		for (int k = 0; k < n && r == 0; k++) {
			int i = base;
			if (k > 0) {
				i = -1;
				for (int j = 0; j < n; j++)
					if (!done[j] && (i < 0 || t[j].w > t[i].w))
						i = j;
				if (vips_image_hasalpha(prev) ?
						vips_thumbnail_image(prev, &img, t[i].w, "height", t[i].h,
							"crop", VIPS_INTERESTING_CENTRE, "size", VIPS_SIZE_BOTH, NULL) :
						vips_resize(prev, &img, (double) t[i].w / prev->Xsize,
							"vscale", (double) t[i].h / prev->Ysize, NULL)) {
					r = -1;
					break;
				}
			}
			mem = vips_image_copy_memory(img);
			VIPS_UNREF(img);
			VIPS_UNREF(prev);
			if (!mem) {
				r = -1;
				break;
			}
			prev = mem;
			mem = NULL;
			done[i] = 1;
			r = save(prev, fmt, quality, &t[i].buf, &t[i].len);
		}
		VIPS_UNREF(img);
		VIPS_UNREF(prev);
		return r;
	}

	double scale = 0;
	for (int i = 0; i < n; i++) {
		double s = VIPS_MAX(t[i].w / w0, t[i].h / h0);
		scale = VIPS_MAX(scale, s);
	}
	// +2 keeps rounding in thumbnail's fit from leaving the cover a pixel short.
	int bw = (int) ceil(w0 * scale) + 2, bh = (int) ceil(h0 * scale) + 2;
	if (thumb(src, len, &hdr, scale, bw, bh, VIPS_INTERESTING_NONE, &img))
		return -1;
	mem = vips_image_copy_memory(img);
	g_object_unref(img);
	if (!mem)
		return -1;
	for (int i = 0; i < n && r == 0; i++)
		r = fill_from_image(mem, &t[i], fmt, quality);
	g_object_unref(mem);
	return r;
}

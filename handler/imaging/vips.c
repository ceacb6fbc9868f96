#include <malloc.h>
#include <string.h>

#include "vips.h"

// malloc_setup keeps glibc's malloc from handing libvips' big buffers back to the kernel between
// requests. By default every thread that allocates may get an arena of its own (up to 8 per
// core), and freed blocks of 128 KiB to 32 MiB go back to the kernel, so libjpeg's whole-image
// buffers for a progressive JPEG come back as fresh pages on most requests: page faults which
// under Firecracker (Lambda, and the benchmark machine) cost more than the decode itself, and
// the peak resident set grows with every arena that holds a copy. One arena, freed memory kept
// up to 128 MiB and blocks up to 32 MiB taken from the arena reuse the same pages from one
// request to the next: faster and smaller; two arenas measured slower and larger both for one
// request at a time and for two at once (figures in docs/PERFORMANCE.md).
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
// Package format has already refused other content; this keeps libvips from guessing.
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
	hdr->cmyk = vips_image_get_interpretation(im) == VIPS_INTERPRETATION_CMYK;
	hdr->alpha = vips_image_hasalpha(im);
	g_object_unref(im);
	return 0;
}

// save encodes in with the plan's encoder settings.
static int save(VipsImage *in, const origin_encoder *e, void **buf, size_t *len) {
	switch (e->format) {
	case ORIGIN_JPEG: {
		VipsImage *flat = NULL;
		int r;
		if (e->flatten) {
			double white[1] = {255};
			VipsArrayDouble *bg = vips_array_double_new(white, 1);
			r = vips_flatten(in, &flat, "background", bg, NULL);
			vips_area_unref(VIPS_AREA(bg));
			if (r)
				return r;
			in = flat;
		}
		r = vips_jpegsave_buffer(in, buf, len, "Q", e->quality, "interlace", e->progressive,
			"strip", TRUE, NULL);
		if (flat)
			g_object_unref(flat);
		return r;
	}
	case ORIGIN_PNG:
		return vips_pngsave_buffer(in, buf, len, "strip", TRUE, "compression", e->compression,
			"filter", e->filter_all ? VIPS_FOREIGN_PNG_FILTER_ALL : VIPS_FOREIGN_PNG_FILTER_NONE, NULL);
	case ORIGIN_WEBP:
		return vips_webpsave_buffer(in, buf, len, "Q", e->quality, "strip", TRUE, NULL);
	case ORIGIN_GIF:
		return vips_gifsave_buffer(in, buf, len, "strip", TRUE, NULL);
	case ORIGIN_AVIF:
		return vips_heifsave_buffer(in, buf, len, "Q", e->quality,
			"compression", VIPS_FOREIGN_HEIF_COMPRESSION_AV1, "effort", e->effort, "strip", TRUE, NULL);
	}
	vips_error("origin", "unknown output format %d", e->format);
	return -1;
}

// then replaces *in by *next: the image an operation made from it (NULL if it failed).
static int then(int r, VipsImage **in, VipsImage **next) {
	g_object_unref(*in);
	*in = *next;
	*next = NULL;
	return r;
}

// load makes the plan's first image: the original loaded (JPEG with DCT scaling, as a stream),
// cut, box-shrunk, then resampled to w x h with the orientation applied and an embedded profile
// converted to sRGB. Without a profile the pixels are taken as sRGB already (an sRGB-to-sRGB
// transform would only shift colours).
//
// CMYK is loaded and converted through its embedded profile (or libvips' CMYK profile) and not
// resampled: vips_thumbnail would convert it itself, but libvips 8.14 rejects the embedded
// profile at that point of its pipeline ("profile incompatible with image") and falls back to
// its built-in CMYK profile, which shifts colours.
static int load(const void *src, size_t len, const origin_plan *p, VipsImage **out) {
	const char *export = p->export_srgb ? "srgb" : NULL;
	VipsImage *in = NULL, *next = NULL;
	switch (p->loader) {
	case ORIGIN_LOAD_THUMBNAIL:
		return vips_thumbnail_buffer((void *) src, len, out, p->w, "height", p->h,
			"crop", p->fill ? VIPS_INTERESTING_CENTRE : VIPS_INTERESTING_NONE, "size", VIPS_SIZE_BOTH,
			"fail_on", VIPS_FAIL_ON_ERROR, "export_profile", export, NULL);
	case ORIGIN_LOAD_JPEG:
		if (vips_jpegload_buffer((void *) src, len, &in, "shrink", p->shrink,
				"access", VIPS_ACCESS_SEQUENTIAL, "fail_on", VIPS_FAIL_ON_ERROR, NULL))
			return -1;
		break;
	case ORIGIN_LOAD_PNG:
		if (vips_pngload_buffer((void *) src, len, &in,
				"access", VIPS_ACCESS_SEQUENTIAL, "fail_on", VIPS_FAIL_ON_ERROR, NULL))
			return -1;
		break;
	case ORIGIN_LOAD_CMYK:
		if (vips_jpegload_buffer((void *) src, len, &in, "shrink", p->shrink,
				"fail_on", VIPS_FAIL_ON_ERROR, NULL))
			return -1;
		if (then(vips_icc_transform(in, &next, "srgb", "embedded", TRUE, "input_profile", "cmyk",
				"intent", VIPS_INTENT_RELATIVE, "depth", 8, NULL), &in, &next))
			return -1;
		break;
	default:
		vips_error("origin", "unknown loader %d", p->loader);
		return -1;
	}
	if (p->cut_w > 0 &&
			then(vips_extract_area(in, &next, p->cut_x, p->cut_y, p->cut_w, p->cut_h, NULL), &in, &next))
		return -1;
	if (p->box_shrink > 1 &&
			then(vips_shrink(in, &next, p->box_shrink, p->box_shrink, NULL), &in, &next))
		return -1;
	if (p->w == 0) {
		*out = in;
		return 0;
	}
	int r = vips_thumbnail_image(in, out, p->w, "height", p->h,
		"crop", p->fill ? VIPS_INTERESTING_CENTRE : VIPS_INTERESTING_NONE, "size", VIPS_SIZE_BOTH,
		"export_profile", export, NULL);
	g_object_unref(in);
	return r;
}

// origin_run executes plan p: the first image, then every step in order, each saved into its
// step's buffer.
int origin_run(const void *src, size_t len, const origin_plan *p, origin_step *s, int n) {
	VipsImage *img = NULL;
	if (origin_first(src, len, p, &img))
		return -1;
	return origin_steps(img, p, s, n);
}

// origin_first makes the plan's first image. With hold it is copied into memory (it is read
// again by every step, and by origin_smartcrop and origin_thumb); without, it stays a lazy
// pipeline over src, which must outlive it.
int origin_first(const void *src, size_t len, const origin_plan *p, VipsImage **out) {
	VipsImage *img = NULL;
	if (load(src, len, p, &img))
		return -1;
	if (!p->hold) {
		*out = img;
		return 0;
	}
	*out = vips_image_copy_memory(img);
	g_object_unref(img);
	return *out ? 0 : -1;
}

void origin_unref(VipsImage *in) {
	if (in)
		g_object_unref(in);
}

// origin_steps executes the steps on img, the plan's first image (it takes the reference):
// without hold the first image streams to the encoder (one step); with it, each step reads it
// or the image the last keep step held.
int origin_steps(VipsImage *img, const origin_plan *p, origin_step *s, int n) {
	VipsImage *first = img, *prev = NULL;
	img = NULL;
	if (!p->hold) {
		int r = save(first, &s[0].enc, &s[0].buf, &s[0].len);
		g_object_unref(first);
		return r;
	}
	prev = first;
	g_object_ref(prev);
	int r = 0;
	for (int i = 0; i < n && r == 0; i++) {
		VipsImage *from = s[i].from_first ? first : prev, *cut = NULL;
		switch (s[i].op) {
		case ORIGIN_OP_FIRST:
			img = from;
			g_object_ref(img);
			break;
		case ORIGIN_OP_RESIZE:
			r = vips_resize(from, &img, s[i].hscale, "vscale", s[i].vscale, NULL);
			break;
		case ORIGIN_OP_THUMBNAIL:
			if (s[i].cut_w > 0) {
				r = vips_extract_area(from, &cut, s[i].cut_x, s[i].cut_y, s[i].cut_w, s[i].cut_h, NULL);
				if (r)
					break;
				from = cut;
			}
			r = vips_thumbnail_image(from, &img, s[i].w, "height", s[i].h,
				"crop", VIPS_INTERESTING_CENTRE, "size", VIPS_SIZE_BOTH, NULL);
			VIPS_UNREF(cut);
			break;
		default:
			vips_error("origin", "unknown step %d", s[i].op);
			r = -1;
		}
		if (r)
			break;
		if (s[i].keep) {
			VipsImage *mem = vips_image_copy_memory(img);
			VIPS_UNREF(img);
			if (!mem) {
				r = -1;
				break;
			}
			VIPS_UNREF(prev);
			prev = mem;
			img = mem;
			g_object_ref(img);
		}
		r = save(img, &s[i].enc, &s[i].buf, &s[i].len);
		VIPS_UNREF(img);
	}
	VIPS_UNREF(img);
	VIPS_UNREF(prev);
	VIPS_UNREF(first);
	return r;
}

// origin_smartcrop runs libvips' smartcrop (interesting: a VipsInteresting) for a w x h box on
// in and returns what it found: the attention centre (attention only; 0 otherwise) and the
// box's left and top (the output's offsets, whatever their sign). The caller decides what to
// make of them.
int origin_smartcrop(VipsImage *in, int interesting, int w, int h, int *ax, int *ay, int *left, int *top) {
	VipsImage *out = NULL;
	*ax = *ay = 0;
	if (vips_smartcrop(in, &out, w, h, "interesting", interesting,
			"attention_x", ax, "attention_y", ay, NULL))
		return -1;
	*left = abs(out->Xoffset);
	*top = abs(out->Yoffset);
	g_object_unref(out);
	return 0;
}

// origin_thumb box-shrinks in by shrink on both axes, applies the orientation, flattens alpha
// onto white and returns 8-bit sRGB RGB pixels: tw*th*3 bytes in *buf, g_free by the caller.
int origin_thumb(VipsImage *in, int shrink, void **buf, size_t *len, int *tw, int *th) {
	VipsImage *img = NULL, *next = NULL;
	if (vips_shrink(in, &img, shrink, shrink, NULL))
		return -1;
	if (then(vips_autorot(img, &next, NULL), &img, &next))
		return -1;
	if (vips_image_hasalpha(img)) {
		double white[1] = {255};
		VipsArrayDouble *bg = vips_array_double_new(white, 1);
		int r = vips_flatten(img, &next, "background", bg, NULL);
		vips_area_unref(VIPS_AREA(bg));
		if (then(r, &img, &next))
			return -1;
	}
	if (then(vips_colourspace(img, &next, VIPS_INTERPRETATION_sRGB, NULL), &img, &next) ||
			then(vips_cast_uchar(img, &next, NULL), &img, &next))
		return -1;
	if (img->Bands > 3 && then(vips_extract_band(img, &next, 0, "n", 3, NULL), &img, &next))
		return -1;
	*tw = img->Xsize;
	*th = img->Ysize;
	*buf = vips_image_write_to_memory(img, len);
	g_object_unref(img);
	return *buf ? 0 : -1;
}

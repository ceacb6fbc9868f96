#include "vips.h"

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
		return vips_pngsave_buffer(in, buf, len, "strip", TRUE, "compression", 6, NULL);
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

// load_cmyk loads a CMYK JPEG with shrink-on-load (keeping at least scale of the original)
// and converts it to sRGB through its embedded profile, or libvips' CMYK profile if it has none.
// vips_thumbnail would do the conversion itself, but libvips 8.14 rejects the embedded profile
// at that point of its pipeline ("profile incompatible with image") and always falls back to
// its built-in CMYK profile, which shifts colours.
static int load_cmyk(const void *src, size_t len, double scale, VipsImage **out) {
	int shrink = 1;
	while (shrink < 8 && scale * shrink * 2 <= 1.0)
		shrink *= 2;
	VipsImage *in = NULL;
	if (vips_jpegload_buffer((void *) src, len, &in, "shrink", shrink,
			"fail_on", VIPS_FAIL_ON_ERROR, NULL))
		return -1;
	int r = vips_icc_transform(in, out, "srgb", "embedded", TRUE, "input_profile", "cmyk",
		"intent", VIPS_INTENT_RELATIVE, "depth", 8, NULL);
	g_object_unref(in);
	return r;
}

// origin_resize makes every target from src, decoding it once. One target goes straight through
// vips_thumbnail_buffer (shrink-on-load, autorotate the small image, embedded ICC profile to
// sRGB). Several targets share one decode: the original is shrunk once to the smallest image that
// still covers every target, held in memory, and each target is cut from that.
int origin_resize(const void *src, size_t len, int fmt, int quality, origin_target *t, int n) {
	origin_header hdr;
	if (origin_read_header(src, len, &hdr))
		return -1;
	// An embedded profile is converted to sRGB through ICC. Without one the pixels are taken
	// as sRGB already (an sRGB-to-sRGB transform would only shift colours); CMYK without a
	// profile is converted by vips_thumbnail through libvips' fallback CMYK profile.
	const char *export = hdr.has_icc ? "srgb" : NULL;

	if (n == 1 && !hdr.cmyk) {
		VipsImage *out = NULL;
		if (vips_thumbnail_buffer((void *) src, len, &out, t[0].w, "height", t[0].h,
				"crop", VIPS_INTERESTING_CENTRE, "size", VIPS_SIZE_BOTH,
				"fail_on", VIPS_FAIL_ON_ERROR, "export_profile", export, NULL))
			return -1;
		int r = save(out, fmt, quality, &t[0].buf, &t[0].len);
		g_object_unref(out);
		return r;
	}

	double w0 = hdr.width, h0 = hdr.height;
	if (hdr.orientation >= 5) {
		w0 = hdr.height;
		h0 = hdr.width;
	}
	double scale = 0;
	for (int i = 0; i < n; i++) {
		double s = VIPS_MAX(t[i].w / w0, t[i].h / h0);
		scale = VIPS_MAX(scale, s);
	}
	// +2 keeps rounding in thumbnail's fit from leaving the cover a pixel short.
	int bw = (int) ceil(w0 * scale) + 2, bh = (int) ceil(h0 * scale) + 2;

	VipsImage *cover = NULL, *mem = NULL;
	if (hdr.cmyk) {
		if (load_cmyk(src, len, scale, &cover))
			return -1;
	}
	else if (vips_thumbnail_buffer((void *) src, len, &cover, bw, "height", bh, "size", VIPS_SIZE_BOTH,
			"fail_on", VIPS_FAIL_ON_ERROR, "export_profile", export, NULL))
		return -1;
	mem = vips_image_copy_memory(cover);
	g_object_unref(cover);
	if (!mem)
		return -1;
	int r = 0;
	for (int i = 0; i < n && r == 0; i++)
		r = fill_from_image(mem, &t[i], fmt, quality);
	g_object_unref(mem);
	return r;
}

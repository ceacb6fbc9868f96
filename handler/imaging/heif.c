#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <vips/vips.h>

// heif_plugin_path points libheif at the codec plugins that sit beside the libvips this process
// loaded (third_party/vips/build.sh's lib/heif-plugins, the zip's /var/task/lib/heif-plugins):
// libheif finds its HEIC and AVIF codecs only through LIBHEIF_PLUGIN_PATH or a folder compiled
// into it, which is Debian's and does not exist on Lambda. libvips initialises libheif when it
// starts (bimg starts it when its package loads, before any Go code here runs), so this is a
// constructor. An operator's own non-empty LIBHEIF_PLUGIN_PATH wins. Whether the codecs really
// decode is checked at start-up (decodecheck.go).
__attribute__((constructor)) static void heif_plugin_path(void) {
	const char *set = getenv("LIBHEIF_PLUGIN_PATH");
	if (set && *set)
		return;
	void *h = dlopen("libvips.so.42", RTLD_LAZY | RTLD_NOLOAD);
	if (!h)
		return;
	char dir[PATH_MAX + 32];
	if (dlinfo(h, RTLD_DI_ORIGIN, dir) == 0 && strlen(dir) < PATH_MAX) {
		strcat(dir, "/heif-plugins");
		setenv("LIBHEIF_PLUGIN_PATH", dir, 0);
	}
	dlclose(h);
}

// origin_decode_avg decodes every pixel of src and returns their mean.
int origin_decode_avg(const void *src, size_t len, double *avg) {
	VipsImage *im = vips_image_new_from_buffer(src, len, "", "fail_on", VIPS_FAIL_ON_ERROR, NULL);
	if (!im)
		return -1;
	int r = vips_avg(im, avg, NULL);
	g_object_unref(im);
	return r;
}

// origin_libvips_version is the running libvips' version (not the headers' VIPS_VERSION).
const char *origin_libvips_version(void) {
	return vips_version_string();
}

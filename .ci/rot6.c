/* rot6 IN UPRIGHT TURNED: the same pixels twice, as a phone stores them, for make bench's EXIF
 * pair: UPRIGHT with orientation 1, and TURNED rotated 90 degrees anticlockwise with orientation 6
 * (a viewer turns it back); baseline quality 90, 4:2:0. */
#include <vips/vips.h>
int main(int argc, char **argv) {
	VipsImage *in, *up, *rot;
	if (VIPS_INIT(argv[0]) || argc != 4) return 2;
	if (!(in = vips_image_new_from_file(argv[1], "access", VIPS_ACCESS_RANDOM, NULL)) ||
	    vips_copy(in, &up, NULL) || vips_rot(in, &rot, VIPS_ANGLE_D270, NULL)) vips_error_exit(NULL);
	vips_image_set_int(up, VIPS_META_ORIENTATION, 1);
	vips_image_set_int(rot, VIPS_META_ORIENTATION, 6);
	if (vips_image_write_to_file(up, argv[2], "Q", 90, "subsample_mode", VIPS_FOREIGN_SUBSAMPLE_ON, NULL) ||
	    vips_image_write_to_file(rot, argv[3], "Q", 90, "subsample_mode", VIPS_FOREIGN_SUBSAMPLE_ON, NULL))
		vips_error_exit(NULL);
	return 0;
}

#!/usr/bin/env bash
# Rebuild the demo originals in testdata/originals/ from photographs in Debian bookworm wallpaper
# packages (sources and licences: originals/LICENSES.md). The outputs are committed; this script
# is only for someone who wants to see or redo how they were made.
#
#   bash testdata/make-originals.sh
#
# Needs: apt-get (after apt-get update), dpkg, libvips-tools, imagemagick, libimage-exiftool-perl,
# fonts-dejavu-core.
set -euo pipefail
cd "$(dirname "$0")"
out=originals
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export VIPS_WARNING=0

(cd "$tmp" && apt-get download -q lomiri-wallpapers-16.04)
dpkg -x "$tmp"/lomiri-wallpapers-16.04_*.deb "$tmp/x"
src=$tmp/x/usr/share/backgrounds

# jpeg SRC OUT ARTIST LICENCE [Q]: 1600 px on the long side, quality Q (default 80; each under 400 KB), no metadata from the source,
# then the photographer's name and licence as EXIF (the service must strip it from variants)
jpeg() {
	vips thumbnail "$src/$1" "$tmp/t.v" 1600 --height 1600
	vips jpegsave "$tmp/t.v" "$2" --Q "${5:-80}" --optimize-coding --strip
	exiftool -q -overwrite_original -Artist="$3" -Copyright="$4" "$2"
}

mkdir -p "$out/nested/summer 2024"
jpeg picosdeeuropa_by_Aitzol_Berasategi.jpg "$out/landscape.jpg" "Aitzol Berasategi" "CC-BY-4.0" 75
jpeg sunset_by_Aitzol_Berasategi.jpg "$out/nested/summer 2024/beach+sunset.jpg" "Aitzol Berasategi" "CC-BY-4.0"

# portrait.jpg: a portrait photo stored on its side. The pixels are the upright photo turned
# 90 degrees anticlockwise (1600x1065), and EXIF Orientation=6 tells a viewer to turn it back
# clockwise: it only looks right (1065x1600, the dogs upright) when orientation is applied.
vips thumbnail "$src/friends_by_Aitzol_Berasategi.jpg" "$tmp/p.v" 1600 --height 1600
vips rot "$tmp/p.v" "$tmp/p270.v" d270
vips jpegsave "$tmp/p270.v" "$out/portrait.jpg" --Q 80 --optimize-coding --strip
exiftool -q -overwrite_original -n -Orientation=6 -Artist="Aitzol Berasategi" -Copyright="CC-BY-4.0" "$out/portrait.jpg"

# dandelions.webp: CC0 photo, lossy WebP
vips thumbnail "$src/seeding_by_Clements_Engelhardt.jpg" "$tmp/w.v" 1600 --height 1600
vips webpsave "$tmp/w.v" "$out/dandelions.webp" --Q 80 --strip

# logo.png: a generated logo-like image with an alpha channel: transparent background, a blue
# disc with a white mountain-and-sun pictogram, a ring, and the word "imgorigin" (antialiased
# edges, so partly transparent pixels too), 1200x600
/usr/bin/convert -size 1200x600 xc:none \
	-fill '#1e88e5' -draw 'circle 300,300 300,70' \
	-fill none -stroke '#1e88e5' -strokewidth 14 -draw 'circle 300,300 300,35' -stroke none \
	-fill white -draw 'polygon 150,420 270,230 330,320 380,260 470,420' \
	-fill '#ffca28' -draw 'circle 390,180 390,145' \
	-font DejaVu-Sans-Bold -pointsize 112 -fill '#263238' -annotate +580+340 'imgorigin' \
	+set date:create +set date:modify -define png:exclude-chunks=date,time \
	"PNG32:$tmp/logo.png"
vips pngsave "$tmp/logo.png" "$out/logo.png" --compression 9 --strip

for f in "$out"/*.* "$out"/nested/*/*; do
	case $f in *.md) continue ;; esac
	printf '%-46s %5dx%-5d %7d bytes\n' "$f" "$(vipsheader -f width "$f")" "$(vipsheader -f height "$f")" "$(stat -c %s "$f")"
done

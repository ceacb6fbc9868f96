#!/usr/bin/env bash
# Builds the one libvips every target links (make run, test, bench, load, package): libvips with
# only the formats the service reads and writes, highway for SIMD (static), and libheif with its
# HEIC decoder (libde265), AVIF decoder (dav1d) and AVIF encoder (aom) as plugins. Everything
# else libvips can link is switched off at configure time, so there is no other loader to block.
#
# Usage: build.sh          build into the cache folder unless it is complete; print its path
#        build.sh prefix   print the cache folder's path only (nothing is built)
#        build.sh env      build if needed, then print the shell exports that link against it
#
# The folder is ${XDG_CACHE_HOME:-$HOME/.cache}/imgorigin/vips-<versions>-<hash of versions.env
# and this script>, so a new pin or option builds a new folder and a finished one is reused.
# VIPS_CACHE overrides the parent folder. Layout:
#   lib/libvips.so.42*, lib/libheif.so.1*   the shared libraries. meson install drops every
#                                           rpath, so it is the binary's DT_RPATH (which also
#                                           applies to its libraries' own lookups) that makes
#                                           libvips load this libheif and not Debian's
#   lib/heif-plugins/                       libheif's codec plugins; the service points
#                                           LIBHEIF_PLUGIN_PATH here (handler/imaging/heif.c)
#   lib/pkgconfig/vips.pc, include/         for cgo
#   .complete                               written last: the folder is finished
#
# Sources: the upstream tarballs of libvips and highway come from Debian trixie's source
# packages, libheif from bookworm-backports' binary packages, both through apt with a private
# sources file and lists folder (the system's own apt configuration is not touched). Every file
# is checked against versions.env's sha256 before use. Build tools, the -dev packages of the
# format libraries and the codec libraries the plugins load come from the machine's own suite
# (installed when missing, as root or through sudo).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$HERE/versions.env"

MODE=${1:-build}
HASH=$(cat "$HERE/versions.env" "$HERE/build.sh" | sha256sum | cut -c1-10)
CACHE=${VIPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/imgorigin}
PREFIX=$CACHE/vips-$VIPS_VERSION-heif-$HEIF_VERSION-hwy-$HWY_VERSION-$HASH
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

say() { printf 'vips: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

print_env() {
  printf 'export PKG_CONFIG_PATH=%q\n' "$PREFIX/lib/pkgconfig"
  # The rpath makes a binary load this libvips (same soname as Debian's libvips.so.42), and,
  # being in CGO_LDFLAGS, it is part of the Go build cache key: a cached object built against
  # another libvips is never reused.
  printf 'export CGO_LDFLAGS=%q\n' "-Wl,-rpath,$PREFIX/lib -Wl,--disable-new-dtags"
}

case $MODE in
  prefix) echo "$PREFIX"; exit 0 ;;
  build | env) ;;
  *) die "unknown mode '$MODE' (build, prefix, env)" ;;
esac

done_() {
  if [ "$MODE" = env ]; then print_env; else echo "$PREFIX"; fi
  exit 0
}
[ -f "$PREFIX/.complete" ] && done_

[ "$(uname -m)" = x86_64 ] || die "x86_64 only (the libheif packages are amd64)"
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
if ! flock -n 9; then
  say "another build holds $CACHE/.lock; waiting for it"
  flock 9
fi
[ -f "$PREFIX/.complete" ] && done_

T0=$(date +%s)
say "building libvips $VIPS_VERSION, highway $HWY_VERSION, libheif $HEIF_VERSION into $PREFIX (a few minutes, once)"

# --- build tools and -dev packages ---------------------------------------------------------------
# command, pkg-config name or shared library -> the Debian package that provides it.
need=()
for c in gcc:gcc g++:g++ make:make pkg-config:pkg-config meson:meson ninja:ninja-build \
  cmake:cmake dpkg-deb:dpkg flock:util-linux; do
  command -v "${c%%:*}" >/dev/null || need+=("${c#*:}")
done
for p in glib-2.0:libglib2.0-dev expat:libexpat1-dev libjpeg:libjpeg62-turbo-dev \
  spng:libspng-dev libwebp:libwebp-dev lcms2:liblcms2-dev libexif:libexif-dev zlib:zlib1g-dev; do
  pkg-config --exists "${p%%:*}" 2>/dev/null || need+=("${p#*:}")
done
for l in libde265.so.0:libde265-0 libdav1d.so.6:libdav1d6 libaom.so.3:libaom3; do
  ldconfig -p | grep -q "${l%%:*} " || need+=("${l#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || die "missing ${need[*]}: apt-get install them as root"
    sudo=sudo
  fi
  say "apt-get install ${need[*]}"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# --- sources (cached by file name, checked by sha256) --------------------------------------------
SRC=$CACHE/sources
mkdir -p "$SRC"
APTDIR=$CACHE/apt
sha_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }
apt_private() {
  mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial"
  cat >"$APTDIR/sources.list" <<EOF
deb-src [signed-by=$KEYRING] $MIRROR trixie main
deb [arch=amd64 signed-by=$KEYRING] $MIRROR bookworm-backports main
EOF
  apt-get -o Dir::Etc::SourceList="$APTDIR/sources.list" -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::State::Lists="$APTDIR/lists" -o Dir::Cache="$APTDIR/cache" \
    -o APT::Sandbox::User=root "$@"
}
APT_UPDATED=
apt_update_once() {
  [ -n "$APT_UPDATED" ] && return
  say "apt: index of trixie (sources) and bookworm-backports (amd64) in $APTDIR"
  apt_private update -qq >/dev/null || die "apt-get update of the private sources failed"
  APT_UPDATED=1
}

fetch_orig() { # source-package version sha256
  local f=$1_$2.orig.tar.gz
  sha_ok "$SRC/$f" "$3" && return
  apt_update_once
  say "fetching $f (apt-get source $1)"
  # Only the upstream tarball is needed; the .dsc and Debian diff may be missing on the
  # mirror (a stable update replaces them), so apt's exit status is not the test: the sha is.
  (cd "$SRC" && apt_private source -qq --download-only "$1" >/dev/null 2>&1) || true
  sha_ok "$SRC/$f" "$3" || die "$f: missing or sha256 mismatch (trixie no longer carries $1 $2? update versions.env)"
  rm -f "$SRC/$1"_*.dsc "$SRC/$1"_*.debian.tar.*
}
fetch_orig vips "$VIPS_VERSION" "$VIPS_SHA256"
fetch_orig highway "$HWY_VERSION" "$HWY_SHA256"

debs=()
while read -r pkg sha; do
  [ -n "$pkg" ] || continue
  f=${pkg}_${HEIF_DEB_VERSION//:/%3a}_amd64.deb
  if ! sha_ok "$SRC/$f" "$sha"; then
    apt_update_once
    say "fetching $f (apt-get download)"
    (cd "$SRC" && apt_private download -qq "$pkg=$HEIF_DEB_VERSION" >/dev/null) || die "apt-get download $pkg=$HEIF_DEB_VERSION failed"
    sha_ok "$SRC/$f" "$sha" || die "$f: sha256 mismatch"
  fi
  debs+=("$SRC/$f")
done <<<"$HEIF_DEBS"

# --- build ----------------------------------------------------------------------------------------
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
rm -rf "$PREFIX"
mkdir -p "$PREFIX/lib/pkgconfig" "$PREFIX/lib/heif-plugins" "$PREFIX/include"
JOBS=$(nproc)

say "libheif $HEIF_DEB_VERSION: unpacking ${#debs[@]} packages"
for d in "${debs[@]}"; do dpkg-deb -x "$d" "$WORK/heif"; done
H=$WORK/heif/usr
cp -a "$H"/lib/x86_64-linux-gnu/libheif.so* "$PREFIX/lib/"
cp -a "$H"/lib/x86_64-linux-gnu/libheif/plugins/*.so "$PREFIX/lib/heif-plugins/"
cp -a "$H/include/x86_64-linux-gnu/libheif" "$PREFIX/include/"
sed -e "s|^prefix=.*|prefix=$PREFIX|" -e "s|^libdir=.*|libdir=\${prefix}/lib|" -e "s|^includedir=.*|includedir=\${prefix}/include|" \
  "$H/lib/x86_64-linux-gnu/pkgconfig/libheif.pc" >"$PREFIX/lib/pkgconfig/libheif.pc"
# libheif's own default plugin folder (/usr/lib/x86_64-linux-gnu/libheif/plugins) is Debian's;
# the plugins are only ever loaded from LIBHEIF_PLUGIN_PATH.

# highway goes into the prefix too: it is linked into libvips, but vips.pc names it
# (Requires.private), so pkg-config wants its .pc when cgo asks for vips' flags.
say "highway $HWY_VERSION: cmake (static)"
tar -xzf "$SRC/highway_$HWY_VERSION.orig.tar.gz" -C "$WORK"
cmake -S "$WORK/highway-$HWY_VERSION" -B "$WORK/hwy-build" -G Ninja -Wno-dev \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$PREFIX" -DCMAKE_INSTALL_LIBDIR=lib \
  -DBUILD_SHARED_LIBS=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DBUILD_TESTING=OFF \
  -DHWY_ENABLE_TESTS=OFF -DHWY_ENABLE_EXAMPLES=OFF -DHWY_ENABLE_CONTRIB=OFF >"$WORK/hwy.log" 2>&1 ||
  { tail -30 "$WORK/hwy.log" >&2; die "highway cmake failed"; }
ninja -C "$WORK/hwy-build" -j"$JOBS" install >>"$WORK/hwy.log" 2>&1 || { tail -30 "$WORK/hwy.log" >&2; die "highway build failed"; }

say "libvips $VIPS_VERSION: meson"
tar -xzf "$SRC/vips_$VIPS_VERSION.orig.tar.gz" -C "$WORK"
off=()
for f in magick poppler pdfium rsvg openexr openslide openjpeg jpeg-xl tiff cfitsio matio nifti \
  fftw pangocairo fontconfig archive imagequant quantizr cgif png orc; do
  off+=("-D$f=disabled")
done
# GIF is read with libvips' bundled nsgif; writing GIF would need a quantiser, and none with a
# fitting licence is packaged (bookworm's libimagequant is GPL-3): GIF originals come out as PNG.
PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" \
  meson setup "$WORK/vips-build" "$WORK/libvips-$VIPS_VERSION" \
  --prefix="$PREFIX" --libdir=lib --buildtype=release -Db_ndebug=true \
  -Dmodules=disabled -Dintrospection=disabled -Dcplusplus=false -Ddeprecated=false \
  -Dexamples=false -Ddoxygen=false -Dgtk_doc=false -Dvapi=false \
  -Djpeg=enabled -Dspng=enabled -Dwebp=enabled -Dheif=enabled -Dheif-module=disabled \
  -Dlcms=enabled -Dexif=enabled -Dhighway=enabled -Dzlib=enabled -Dnsgif=true \
  -Dppm=false -Danalyze=false -Dradiance=false "${off[@]}" >"$WORK/meson.log" 2>&1 ||
  { tail -40 "$WORK/meson.log" >&2; die "libvips meson setup failed"; }
say "libvips $VIPS_VERSION: ninja -j$JOBS (the longest step)"
ninja -C "$WORK/vips-build" -j"$JOBS" >"$WORK/ninja.log" 2>&1 || { tail -40 "$WORK/ninja.log" >&2; die "libvips build failed"; }
meson install -C "$WORK/vips-build" --no-rebuild --strip >"$WORK/install.log" 2>&1 ||
  { tail -20 "$WORK/install.log" >&2; die "libvips install failed"; }

# bimg includes <vips/vips7compat.h> for one call, im__print_all (a debug dump it makes on
# shutdown). Without the vips7 API (-Ddeprecated=false: less code, smaller library) that header
# is not installed, and gcc would quietly take Debian's /usr/include/vips/vips7compat.h with a
# whole other API behind it. This one maps the call to its vips8 name and nothing else.
cat >"$PREFIX/include/vips/vips7compat.h" <<'EOF'
/* Written by third_party/vips/build.sh for bimg: libvips is built without its vips7 API. */
#ifndef IMGORIGIN_VIPS7COMPAT_H
#define IMGORIGIN_VIPS7COMPAT_H
#include <vips/vips.h>
static inline void im__print_all(void) { vips_object_print_all(); }
#endif
EOF

# The folder must hold what it claims, or it is not marked complete.
# bin/vips has no rpath to lib/: point it there, or it would run Debian's libvips.so.42.
export LD_LIBRARY_PATH=$PREFIX/lib
v=$("$PREFIX/bin/vips" --version 2>&1) || die "built vips does not run: $v"
case $v in "vips-$VIPS_VERSION"*) ;; *) die "built vips reports '$v', want $VIPS_VERSION" ;; esac
ops=$("$PREFIX/bin/vips" -l foreign)
for f in jpegload pngload gifload webpload heifload jpegsave pngsave webpsave heifsave; do
  grep -q "(${f}_buffer)" <<<"$ops" || die "built libvips lacks ${f}_buffer"
done
for f in tiffload magickload pdfload svgload jxlload jp2kload fitsload openexrload gifsave; do
  ! grep -q "($f" <<<"$ops" || die "built libvips has $f, which should be off"
done
heif=$(ldd "$PREFIX/lib/libvips.so.42" | awk '/libheif/ {print $3}') # with LD_LIBRARY_PATH as the rpath
[ "$heif" = "$PREFIX/lib/libheif.so.1" ] || die "libvips resolves libheif to '$heif', want $PREFIX/lib/libheif.so.1"
touch "$PREFIX/.complete"
say "built in $(($(date +%s) - T0)) s: $PREFIX"
done_

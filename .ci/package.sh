#!/usr/bin/env bash
# Builds the two Lambda zips that Terraform deploys: build/origin.zip and build/prewarm.zip.
#
# Each zip holds `bootstrap` (runtime provided.al2023, built with -tags lambda.norpc and cgo
# against third_party/vips' libvips) and lib/: libvips, libheif and the libraries they and the
# binary need (the -dev packages' runtime halves from this Debian), glibc and the dynamic loader
# included, and lib/heif-plugins/ with libheif's HEIC decoder (libde265), AVIF decoder (dav1d) and
# AVIF encoder (aom). Debian bookworm's libraries need glibc 2.35/2.36 and AL2023 has 2.34, so
# the binary must load only what the zip carries: its ELF interpreter is
# /var/task/lib/ld-linux-x86-64.so.2 and its DT_RPATH (not RUNPATH, which loses to Lambda's
# LD_LIBRARY_PATH, and which would not apply to libvips' and the plugins' own lookups) is
# /var/task/lib. libheif finds its plugins through LIBHEIF_PLUGIN_PATH, which the binary sets to
# the heif-plugins folder beside the libvips it loaded (handler/imaging/heif.c) unless the
# function's environment sets it; the binary refuses to start if HEIC or AVIF do not decode.
# Nothing of the host is needed at run time.
#
# The zips are reproducible for a given tree, libvips build and set of Debian packages: sorted
# entries, fixed modes and times, no extra fields. Environment knobs:
#   PACKAGE_OUT        output folder                     (default: build)
#   SOURCE_DATE_EPOCH  timestamp of every zip entry      (default: 2000-01-01T00:00:00Z)
#   PACKAGE_CMDS       the commands to package           (default: "origin prewarm")
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
OUT=${PACKAGE_OUT:-$ROOT/build}
case $OUT in /*) ;; *) OUT=$ROOT/$OUT ;; esac
EPOCH=${SOURCE_DATE_EPOCH:-946684800}
read -r -a CMDS <<<"${PACKAGE_CMDS:-origin prewarm}"

TASK=/var/task                       # where Lambda unpacks the zip
LIBDIR=$TASK/lib                     # interpreter and RPATH point here
LOADER=ld-linux-x86-64.so.2
UNZIPPED_LIMIT=$((250 * 1024 * 1024)) # Lambda: function + layers, unzipped

say() { printf 'package: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

[ "$(uname -m)" = x86_64 ] || die "builds x86_64 zips only (this machine is $(uname -m)); Terraform's architecture must be x86_64"
[ "${GOARCH:-amd64}" = amd64 ] || die "GOARCH=$GOARCH: libvips is linked from this machine's amd64 Debian packages"

# --- tools, and libvips from third_party/vips (built once, then reused) ------------------------
need_pkgs=()
command -v zip >/dev/null || need_pkgs+=(zip)
command -v readelf >/dev/null || need_pkgs+=(binutils)
command -v gcc >/dev/null || need_pkgs+=(gcc)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  say "installing ${need_pkgs[*]} from apt"
  [ "$(id -u)" = 0 ] || die "need root to apt-get install ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi
VIPS_PREFIX=$(bash "$ROOT/third_party/vips/build.sh")
VIPS_LIB=$VIPS_PREFIX/lib
PLUGINS=$VIPS_LIB/heif-plugins
export PKG_CONFIG_PATH=$VIPS_LIB/pkgconfig
# The libvips folder in CGO_LDFLAGS keys Go's build cache to this libvips (a cached object
# compiled against another libvips' headers is not reused); the binary's only rpath stays
# /var/task/lib, so -rpath-link tells the linker where libvips' own libheif.so.1 is (it would
# otherwise take Debian's older one, or none).
export CGO_LDFLAGS="-L$VIPS_LIB -Wl,-rpath-link,$VIPS_LIB"
VIPS_VERSION=$(pkg-config --modversion vips)
SYS_LOADER=$(readlink -f /lib64/$LOADER)
[ -f "$SYS_LOADER" ] || die "no /lib64/$LOADER"
say "libvips $VIPS_VERSION ($VIPS_PREFIX), glibc $(ldd --version | head -1 | awk '{print $NF}')"

# --- build -------------------------------------------------------------------------------------
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"

for c in "${CMDS[@]}"; do
  say "building cmd/$c"
  mkdir -p "$WORK/bin/$c"
  CGO_ENABLED=1 GOOS=linux GOARCH=amd64 go build \
    -tags lambda.norpc -trimpath \
    -ldflags "-s -w -I $LIBDIR/$LOADER -r $LIBDIR -extldflags=-Wl,--disable-new-dtags" \
    -o "$WORK/bin/$c/bootstrap" "./cmd/$c"
  b=$WORK/bin/$c/bootstrap
  interp=$(readelf -l "$b" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
  [ "$interp" = "$LIBDIR/$LOADER" ] || die "cmd/$c: interpreter is '$interp', want $LIBDIR/$LOADER"
  readelf -d "$b" | grep -q "(RPATH).*\[$LIBDIR\]" || die "cmd/$c: no DT_RPATH $LIBDIR"
  ! readelf -d "$b" | grep -q '(RUNPATH)' || die "cmd/$c: has DT_RUNPATH (Lambda's LD_LIBRARY_PATH would win)"
done

# --- the shared-library closure: both binaries and the libheif plugins ------------------------
# ldd runs the host's loader over the file. /var/task/lib does not exist here, so with the build's
# lib/ in LD_LIBRARY_PATH libvips and libheif resolve to the build (never Debian's libvips.so.42
# of the same soname) and every other library to the Debian package that provides it. The
# loader itself is copied apart.
closure() {
  LD_LIBRARY_PATH=$VIPS_LIB ldd "$1" | awk '
    $2 == "=>" && $3 ~ /^\// { print $1 "\t" $3; next }
    $2 == "=>"               { print "MISSING\t" $1; next }'
}
: >"$WORK/closure"
for c in "${CMDS[@]}"; do closure "$WORK/bin/$c/bootstrap" >>"$WORK/closure"; done
for p in "$PLUGINS"/*.so; do closure "$p" >>"$WORK/closure"; done
if grep -q '^MISSING' "$WORK/closure"; then
  die "unresolved libraries: $(grep '^MISSING' "$WORK/closure" | cut -f2 | sort -u | tr '\n' ' ')"
fi
for n in libvips.so.42 libheif.so.1; do
  got=$(awk -v n="$n" '$1 == n { print $2; exit }' "$WORK/closure")
  [ "$got" = "$VIPS_LIB/$n" ] || die "$n resolves to '$got', want $VIPS_LIB/$n"
done

STAGE=$WORK/stage
mkdir -p "$STAGE/lib/heif-plugins"
sort -u "$WORK/closure" | while IFS=$'\t' read -r name path; do
  case $name in */*) name=$(basename "$name") ;; esac
  [ "$name" = "$LOADER" ] && continue
  if [ -e "$STAGE/lib/$name" ]; then
    cmp -s "$STAGE/lib/$name" "$path" || die "two different files for $name"
    continue
  fi
  cp -L "$path" "$STAGE/lib/$name"
done
cp -L "$SYS_LOADER" "$STAGE/lib/$LOADER"
cp -L "$PLUGINS"/*.so "$STAGE/lib/heif-plugins/"

# Every DT_NEEDED of every bundled object must be bundled too (the loader would otherwise fall
# back to Lambda's own /lib64, whose glibc is older).
for f in "$STAGE"/lib/* "$STAGE"/lib/heif-plugins/*.so "$WORK"/bin/*/bootstrap; do
  [ -f "$f" ] || continue
  for n in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    [ -e "$STAGE/lib/$n" ] || die "$(basename "$f") needs $n, which is not bundled"
  done
done

# --- zips ---------------------------------------------------------------------------------------
zip_dir() { # dir zipfile
  local dir=$1 zipfile=$2
  find "$dir" -type d -exec chmod 0755 {} + -o -type f -exec chmod 0644 {} +
  chmod 0755 "$dir/bootstrap" "$dir/lib/$LOADER"
  find "$dir" -exec touch -h -d "@$EPOCH" {} +
  rm -f "$zipfile.tmp"
  (cd "$dir" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort |
    TZ=UTC zip -q -X -9 -@ "$zipfile.tmp")
  mv "$zipfile.tmp" "$zipfile"
}

mb() { awk -v b="$1" 'BEGIN { printf "%.2f MB", b / 1000000 }'; }

for c in "${CMDS[@]}"; do
  d=$WORK/zip/$c
  mkdir -p "$d"
  cp -a "$STAGE/." "$d/"
  cp "$WORK/bin/$c/bootstrap" "$d/bootstrap"
  zip_dir "$d" "$OUT/$c.zip"
  unzipped=$(find "$d" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
  zipped=$(stat -c %s "$OUT/$c.zip")
  [ "$unzipped" -lt "$UNZIPPED_LIMIT" ] || die "$c.zip unzips to $unzipped bytes, over Lambda's 250 MB"
  say "$(basename "$OUT")/$c.zip: $(mb "$zipped") zipped ($zipped bytes), $(mb "$unzipped") unzipped, $(find "$d/lib" -type f | wc -l) files in lib/"
done
say "bundled ($(find "$STAGE/lib" -type f | wc -l) files): $(cd "$STAGE/lib" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | tr '\n' ' ')"

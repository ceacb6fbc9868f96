#!/usr/bin/env bash
# Builds the two Lambda zips that Terraform deploys: build/origin.zip and build/prewarm.zip.
#
# Each zip holds `bootstrap` (runtime provided.al2023, built with -tags lambda.norpc, cgo and
# Debian bookworm's libvips 8.14) and lib/, the whole shared-library closure of the binaries and of
# libvips' HEIF module, glibc and the dynamic loader included. Debian's libraries need glibc
# 2.35/2.36 and AL2023 has 2.34, so the binary must load only what the zip carries: its ELF
# interpreter is /var/task/lib/ld-linux-x86-64.so.2 and its DT_RPATH (not RUNPATH, which loses to
# Lambda's LD_LIBRARY_PATH) is /var/task/lib. The HEIF/AVIF module sits where libvips looks for it
# when VIPSHOME=/var/task (a function variable Terraform sets): /var/task/x86_64-linux-gnu/
# vips-modules-8.14/. Nothing else of the host is needed at run time.
#
# The zips are reproducible for a given tree and set of Debian packages: sorted entries, fixed
# modes and times, no extra fields. Environment knobs:
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

# --- tools and libvips from Debian (installed when missing, left alone when present) -----------
need_pkgs=()
command -v zip >/dev/null || need_pkgs+=(zip)
command -v readelf >/dev/null || need_pkgs+=(binutils)
command -v pkg-config >/dev/null || need_pkgs+=(pkg-config)
command -v gcc >/dev/null || need_pkgs+=(gcc)
pkg-config --exists vips 2>/dev/null || need_pkgs+=(libvips-dev)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  say "installing ${need_pkgs[*]} from apt"
  [ "$(id -u)" = 0 ] || die "need root to apt-get install ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi
pkg-config --exists vips || die "libvips-dev is not installed"

VIPS_VERSION=$(pkg-config --modversion vips)
VIPS_MM=$(echo "$VIPS_VERSION" | cut -d. -f1,2)
VIPS_LIBDIR=$(pkg-config --variable=libdir vips)         # /usr/lib/x86_64-linux-gnu
# libvips 8.14's vips_guess_libdir(): when VIPSHOME differs from the configure-time prefix, the
# libdir becomes $VIPSHOME + the last component of the configure-time libdir, so with
# VIPSHOME=/var/task modules are looked up in /var/task/x86_64-linux-gnu/vips-modules-8.14.
MODULE_SRC=$VIPS_LIBDIR/vips-modules-$VIPS_MM
MODULE_DST=$(basename "$VIPS_LIBDIR")/vips-modules-$VIPS_MM
HEIF_MODULE=$MODULE_SRC/vips-heif.so
[ -f "$HEIF_MODULE" ] || die "$HEIF_MODULE is missing: HEIC/AVIF could not be decoded"
SYS_LOADER=$(readlink -f /lib64/$LOADER)
[ -f "$SYS_LOADER" ] || die "no /lib64/$LOADER"
say "libvips $VIPS_VERSION ($VIPS_LIBDIR), glibc $(ldd --version | head -1 | awk '{print $NF}')"

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

# --- the shared-library closure: both binaries and the HEIF module -----------------------------
# ldd runs the host's loader over the file; /var/task/lib does not exist here, so every library
# resolves to the Debian package that provides it. The loader itself is copied apart.
closure() {
  ldd "$1" | awk '
    $2 == "=>" && $3 ~ /^\// { print $1 "\t" $3; next }
    $2 == "=>"               { print "MISSING\t" $1; next }'
}
: >"$WORK/closure"
for c in "${CMDS[@]}"; do closure "$WORK/bin/$c/bootstrap" >>"$WORK/closure"; done
closure "$HEIF_MODULE" >>"$WORK/closure"
if grep -q '^MISSING' "$WORK/closure"; then
  die "unresolved libraries: $(grep '^MISSING' "$WORK/closure" | cut -f2 | sort -u | tr '\n' ' ')"
fi

STAGE=$WORK/stage
mkdir -p "$STAGE/lib" "$STAGE/$MODULE_DST"
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
cp -L "$HEIF_MODULE" "$STAGE/$MODULE_DST/vips-heif.so"

# Every DT_NEEDED of every bundled object must be bundled too (the loader would otherwise fall
# back to Lambda's own /lib64, whose glibc is older).
for f in "$STAGE"/lib/* "$STAGE/$MODULE_DST"/*.so "$WORK"/bin/*/bootstrap; do
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
say "bundled: $(ls "$STAGE/lib" | tr '\n' ' ')"
say "module: $MODULE_DST/vips-heif.so (needs VIPSHOME=$TASK)"

#!/usr/bin/env bash
# make bench: the imaging pipeline's Go benchmarks, then the peer benchmark (../shared/bench/
# peers.sh) with the project's local server in the same run, then the project-only measurements,
# and the ratio table of issue 5 (docs/PERFORMANCE.md explains every line). About 15 minutes.
#
#   bash .ci/bench.sh                 everything; the table on stdout, all raw output in build/bench/
#   SKIP_PEERS=1 bash .ci/bench.sh    without peers.sh (no floor/sharp/bimgref/ImageMagick columns)
#   SKIP_GO=1 bash .ci/bench.sh       without the Go benchmarks
#   env: REPS (peers.sh rounds, 7), TPUT_S (seconds per throughput run, 5), GO_COUNT (Go benchmark
#        repetitions, 5), WORK (peers.sh work folder, /tmp/benchwork), PEERS_DIR (../shared/bench)
#
# A miss is measured as a miss. The server runs with LRU_BYTES=0, and in its variants folder every
# variant key is taken by an empty folder before it starts: the folder store's Get reads a folder
# as "no such object", and its conditional Put (a hard link that must not replace anything) fails
# as a lost race, which the handler accepts by serving what it made. So every request reads the
# original, decodes, resizes, encodes and writes the variant's temporary file, and nothing is ever
# served from a cache; the script checks this (Server-Timing must say "made" twice in a row) before
# measuring. Concurrent requests for one key would share one decode (the handler's coalescing),
# which is why the project's own throughput and memory runs below give every client its own keys
# (aliases of the same file); peers.sh's throughput column for the project (wrk -c2 on one URL) is
# coalesced and is not used for the targets.
#
# Internal: bash .ci/bench.sh serve ROOT ADDR miss|hit   (the devserver over ROOT's images)
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
REPO=$PWD
OUT=$REPO/build/bench IMG=$REPO/bench-images
PEERS_DIR=${PEERS_DIR:-$REPO/../shared/bench}
WORK=${WORK:-/tmp/benchwork} TPUT_S=${TPUT_S:-5} GO_COUNT=${GO_COUNT:-5}
SIZES="800x600 400x300 200x150"
IMAGES="mid-2mp.jpg portrait-6mp.jpg photo-12mp.png photo-13mp.jpg photo-20mp.jpg photo-24mp.jpg"
PAIR="phone-13mp-o1.jpg phone-13mp-o6.jpg"
log() { echo "[bench] $*" >&2; }

# serve ROOT ADDR MODE: the devserver over a copy (hard links) of ROOT's images, exec'd so that the
# caller's PID is the server's (peers.sh reads its VmHWM). miss: LRU off, every key taken (above).
serve() {
  local root=$1 addr=$2 mode=$3 d f s
  d=$OUT/srv-${addr##*:}
  rm -rf "$d"; mkdir -p "$d/originals" "$d/cache"
  (cd "$root" && find . -type f \( -name '*.jpg' -o -name '*.png' \) ! -path './.*' -printf '%P\n') >"$d/keys"
  while read -r f; do mkdir -p "$d/originals/$(dirname "$f")"
    ln -f "$root/$f" "$d/originals/$f" 2>/dev/null || cp "$root/$f" "$d/originals/$f"; done <"$d/keys"
  if [ "$mode" = miss ]; then
    while read -r f; do for s in $SIZES; do mkdir -p "$d/cache/$s/$f"; done; done <"$d/keys"
    export LRU_BYTES=0
  fi
  exec "$OUT/devserver" -addr "$addr" -dir "$d" -cache "$d/cache"
}
[ "${1:-}" = serve ] && { shift; serve "$@"; }

# table DIR: the ratio table from DIR's peers.tsv, go-bench.txt and project.tsv (re-runnable).
table() {
  local d=$1
  [ ! -s "$d/peers.md" ] || { grep -E '^- (date|noise|versions)' "$d/peers.md"; echo; }
  awk -F'\t' -v images="$IMAGES" '
    function sort(a, n,   i, j, t) { for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t } }
    function med(k,   n, i, a) { n = cnt[k]; if (!n) return ""; for (i = 1; i <= n; i++) a[i] = val[k, i]; sort(a, n)
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    function add(k, v) { val[k, ++cnt[k]] = v }
    function f1(v) { return v == "" ? "n/a" : sprintf("%.1f", v) }
    function f2(v) { return v == "" ? "n/a" : sprintf("%.2f", v) }
    function ok(c) { return c ? "yes" : "**no**" }
    function tomsec(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    FILENAME ~ /peers.tsv$/ { if ($3 == "t1" || $3 == "t3") add("p" SUBSEP $1 SUBSEP $2 SUBSEP $3, $4 / 1000); else x[$1, $2, $3] = $4; next }
    FILENAME ~ /go-bench.txt$/ && /^Benchmark/ { nw = split($0, w, /[ \t]+/); name = w[1]; sub(/-[0-9]+$/, "", name); n = split(name, q, "/")
      for (i = 3; i < nw; i += 2) add("g" SUBSEP q[1] SUBSEP q[2] SUBSEP (n > 2 ? q[3] : "") SUBSEP w[i + 1], w[i] + 0)
      next }
    FILENAME ~ /project.tsv$/ { if ($1 == "http") add("h" SUBSEP $2, $3 / 1000); else if ($1 == "hit") { hit[$2] = $3; p99[$2] = tomsec($4); bw[$2] = $5 } else { y[$1] = $2; y[$1 "_t"] = $3 } next }
    END {
      # reference figures, issue 5 (sharp and imgproxy; 24 MP 800x600 from ../shared/bench/README.md)
      split("mid-2mp.jpg 32 24 portrait-6mp.jpg 64 60 photo-12mp.png 133 235 photo-13mp.jpg 132 128 photo-20mp.jpg 67 76 photo-24mp.jpg 47.6 56.0", r, " ")
      for (i = 1; i in r; i += 3) { rs[r[i]] = r[i + 1]; ri[r[i]] = r[i + 2] }
      print "## Target 1: 800x600 miss through the local server (median ms; ratios from this run)"
      print ""
      print "| image | floor | project | x floor | sharp | project / sharp | target / sharp | bimgref | ImageMagick | imgproxy ref (ms, x sharp ref) | met |"
      print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
      ni = split(images, I, " ")
      for (a = 1; a <= ni; a++) { f = I[a]
        fl = med("p" SUBSEP "floor" SUBSEP f SUBSEP "t1"); pr = med("p" SUBSEP "project" SUBSEP f SUBSEP "t1"); sh = med("p" SUBSEP "sharp" SUBSEP f SUBSEP "t1")
        bi = med("p" SUBSEP "bimgref" SUBSEP f SUBSEP "t1"); im = med("p" SUBSEP "imagemagick" SUBSEP f SUBSEP "t1")
        tgt = ri[f] / rs[f] < 1 ? ri[f] / rs[f] : 1
        big = f ~ /\.jpg$/ && f !~ /2mp/
        met = pr != "" && sh != "" && pr / sh <= tgt + 1e-9 && (!big || (fl != "" && pr / fl <= 1.25))
        printf "| %s | %s | %s | %s | %s | %s | %s%s | %s | %s | %s (%.2f) | %s |\n", f, f1(fl), f1(pr), fl ? f2(pr / fl) : "n/a", f1(sh), sh ? f2(pr / sh) : "n/a",
          f2(tgt), big ? ", x floor 1.25" : "", f1(bi), f1(im), ri[f], ri[f] / rs[f], pr == "" ? "n/a" : ok(met) }
      print ""
      f = "photo-24mp.jpg"; p3 = med("p" SUBSEP "project" SUBSEP f SUBSEP "t3"); s3 = med("p" SUBSEP "sharp" SUBSEP f SUBSEP "t3")
      printf "24 MP, all three sizes as three GET misses (peers.sh \"3 sizes\"): project %s ms, sharp %s ms (one decode, three pipelines), bimgref %s, ImageMagick %s; imgproxy ref 125 ms (sharp ref 69).\n",
        f1(p3), f1(s3), f1(med("p" SUBSEP "bimgref" SUBSEP f SUBSEP "t3")), f1(med("p" SUBSEP "imagemagick" SUBSEP f SUBSEP "t3"))
      print ""
      print "## Target 2: pre-warm, three sizes from one decode, against 800x600 alone (Go benchmark, median ms/op)"
      print ""
      print "| image | 800x600 | 3 sizes | ratio | met (<= 1.30) |"
      print "|---|---:|---:|---:|---|"
      for (a = 1; a <= ni; a++) { f = I[a]; one = med("g" SUBSEP "BenchmarkResize" SUBSEP f SUBSEP "800x600" SUBSEP "ms/op"); three = med("g" SUBSEP "BenchmarkResize" SUBSEP f SUBSEP "3sizes" SUBSEP "ms/op")
        if (one != "") printf "| %s | %.1f | %.1f | %.2f | %s |\n", f, one, three, three / one, ok(three / one <= 1.3) }
      print ""
      print "## Target 3: EXIF orientation 6 against the same pixels upright (13 MP, 800x600)"
      print ""
      print "| measure | orientation 1 | orientation 6 | ratio | met (<= 1.15) |"
      print "|---|---:|---:|---:|---|"
      for (m = 1; m <= 3; m++) { u = m == 1 ? "ms/op" : m == 2 ? "cpu-ms/op" : "peak-RSS-MB"
        o1 = med("g" SUBSEP "BenchmarkResize" SUBSEP "phone-13mp-o1.jpg" SUBSEP "800x600" SUBSEP u); o6 = med("g" SUBSEP "BenchmarkResize" SUBSEP "phone-13mp-o6.jpg" SUBSEP "800x600" SUBSEP u)
        if (o1 != "") printf "| Go benchmark %s | %.1f | %.1f | %.2f | %s |\n", u, o1, o6, o6 / o1, ok(o6 / o1 <= 1.15) }
      o1 = med("h" SUBSEP "phone-13mp-o1.jpg"); o6 = med("h" SUBSEP "phone-13mp-o6.jpg")
      if (o1 != "") printf "| HTTP miss, ms | %.1f | %.1f | %.2f | %s |\n", o1, o6, o6 / o1, ok(o6 / o1 <= 1.15)
      print ""
      print "## Target 4: peak RSS of the server (VmHWM, MB)"
      print ""
      print "| case | project | limit | met | sharp | bimgref | ImageMagick | imgproxy ref |"
      print "|---|---:|---:|---|---:|---:|---:|---:|"
      f = "photo-24mp.jpg"; pr = x["project", f, "rss"] != "" ? x["project", f, "rss"] : y["rss1"]
      printf "| one 24 MP miss (peers.sh: %s, alone: %s) | %s | 100 | %s | %s | %s | %s | 102 |\n", x["project", f, "rss"] == "" ? "n/a" : x["project", f, "rss"], y["rss1"], pr, pr == "" ? "n/a" : ok(pr <= 100), x["sharp", f, "rss"], x["bimgref", f, "rss"], x["imagemagick", f, "rss"]
      printf "| eight different 24 MP misses at once (all done in %s ms) | %s | 300 | %s | | | | |\n", y["rss8_t"], y["rss8"], y["rss8"] == "" ? "n/a" : ok(y["rss8"] <= 300)
      print ""
      print "## Target 5: throughput, 2 concurrent clients, 13 MP 800x600 misses (images/s)"
      print ""
      sh = x["sharp", "photo-13mp.jpg", "tput"]
      printf "project %s (each client its own key), sharp %s (2 concurrent promises, same run): ratio %s, met (>= 1): %s. bimgref %s. (peers.sh column for the project, one URL for both clients, so coalesced: %s.)\n",
        y["tput13"], sh == "" ? "n/a" : sh, sh ? f2(y["tput13"] / sh) : "n/a", sh ? ok(y["tput13"] >= sh) : "n/a", x["bimgref", "photo-13mp.jpg", "tput"], x["project", "photo-13mp.jpg", "tput"]
      print ""
      print "## Target 6: LRU hits, wrk -t2 -c16 over loopback, 10 s"
      print ""
      print "| variant | requests/s | p99 ms | transfer/s | met (>= 20000/s, p99 < 5 ms) |"
      print "|---|---:|---:|---:|---|"
      for (s in hit) printf "| %s of photo-13mp.jpg | %s | %.2f | %s | %s |\n", s, hit[s], p99[s], bw[s], ok(hit[s] >= 20000 && p99[s] < 5)
      print ""
      print "## Go benchmarks (BenchmarkResize, medians; peak RSS of a fresh process per image)"
      print ""
      print "| image | sizes | ms/op | cpu-ms/op | peak RSS MB | Go B/op | allocs/op |"
      print "|---|---|---:|---:|---:|---:|---:|"
      split(images " phone-13mp-o1.jpg phone-13mp-o6.jpg", J, " ")
      for (a = 1; a in J; a++) for (m = 1; m <= 2; m++) { f = J[a]; z = m == 1 ? "800x600" : "3sizes"; k = "g" SUBSEP "BenchmarkResize" SUBSEP f SUBSEP z SUBSEP
        if (cnt[k "ms/op"]) printf "| %s | %s | %.1f | %.1f | %.0f | %.0f | %.0f |\n", f, z, med(k "ms/op"), med(k "cpu-ms/op"), med(k "peak-RSS-MB"), med(k "B/op"), med(k "allocs/op") }
      k = "g" SUBSEP "BenchmarkResizeParallel" SUBSEP "photo-13mp.jpg" SUBSEP "" SUBSEP
      if (cnt[k "img/s"]) printf "\nBenchmarkResizeParallel, photo-13mp.jpg 800x600 from GOMAXPROCS goroutines: %.1f images/s, peak RSS %.0f MB.\n", med(k "img/s"), med(k "peak-RSS-MB")
    }' "$d/peers.tsv" "$d/go-bench.txt" "$d/project.tsv"
}
[ "${1:-}" = table ] && { table "${2:-$OUT}"; exit 0; }

mkdir -p "$OUT"
for c in go gcc curl pkg-config; do command -v $c >/dev/null || { log "need $c"; exit 1; }; done
missing=""
command -v wrk >/dev/null || missing+=" wrk"
[ -x /usr/bin/time ] || missing+=" time"
pkg-config --exists vips || missing+=" libvips-dev"
[ -z "$missing" ] || { log "apt-get install$missing"; apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >&2; }

# ---- 1. images: the peers' set, plus the EXIF pair ----------------------------------------------
bash "$PEERS_DIR/images.sh" "$IMG" >&2
if [ ! -s "$IMG/phone-13mp-o6.jpg" ] || [ ! -s "$IMG/phone-13mp-o1.jpg" ]; then
  # The same pixels twice, as a phone stores them: upright with orientation 1, and rotated 90
  # degrees anticlockwise with orientation 6 (a viewer turns it back); baseline q90 4:2:0.
  cat >"$OUT/rot6.c" <<'EOF'
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
EOF
  # shellcheck disable=SC2046
  gcc -O2 -o "$OUT/rot6" "$OUT/rot6.c" $(pkg-config --cflags --libs vips) ${CGO_LDFLAGS:-}
  "$OUT/rot6" "$IMG/photo-13mp.jpg" "$IMG/phone-13mp-o1.jpg" "$IMG/phone-13mp-o6.jpg"
  log "made $PAIR from photo-13mp.jpg"
fi

# ---- 2. Go benchmarks: one process per image, so that peak RSS is that image's ------------------
GOB=$OUT/go-bench.txt
if [ -z "${SKIP_GO:-}" ]; then
  log "Go benchmarks (BenchmarkResize, $GO_COUNT runs per image)"
  go test -c -o "$OUT/imaging.test" ./handler/imaging
  : >"$GOB"
  for f in $IMAGES $PAIR; do
    (cd handler/imaging && BENCH_IMAGES=$IMG "$OUT/imaging.test" -test.run '^$' -test.benchmem \
      -test.bench "^BenchmarkResize/${f//./\\.}/" -test.count "$GO_COUNT") | tee -a "$GOB" | grep -E '^Benchmark' >&2
  done
  (cd handler/imaging && BENCH_IMAGES=$IMG "$OUT/imaging.test" -test.run '^$' -test.benchmem \
    -test.bench '^BenchmarkResizeParallel/photo-13mp\.jpg$' -test.count 3 -test.benchtime 5s) | tee -a "$GOB" | grep -E '^Benchmark' >&2
fi

# ---- 3. the peers, with the project in the same run ---------------------------------------------
go build -o "$OUT/devserver" ./cmd/devserver
PORT=18090 PROJ=http://127.0.0.1:18090
check_miss() { # URL: two requests in a row must both be made, not served from a cache
  local i st
  for i in 1 2; do st=$(curl -sf -o /dev/null -D - "$1" | tr -d '\r' | awk -F': ' 'tolower($1) == "server-timing" {print $2}')
    [[ $st == made* ]] || { log "not a miss: request $i for $1 says Server-Timing: $st"; return 1; }; done
}
start() { # ROOT PORT MODE LABEL -> PID; log in $OUT/srv-LABEL.log; waits until it answers
  bash "$REPO/.ci/bench.sh" serve "$1" "127.0.0.1:$2" "$3" >"$OUT/srv-$4.log" 2>&1 &
  PID=$!
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$2/" && return 0; sleep 0.1; done
  log "server on :$2 did not start: $(tail -5 "$OUT/srv-$4.log")"; return 1
}
stop() { kill "$1" 2>/dev/null && wait "$1" 2>/dev/null || true; }
hwm() { awk '/VmHWM/{printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

if [ -z "${SKIP_PEERS:-}" ]; then
  start "$IMG" $PORT miss check; check_miss "$PROJ/800x600/mid-2mp.jpg"; stop "$PID"
  log "peers.sh (about 4 minutes; progress below)"
  PROJECT_NAME=project PROJECT_URL="$PROJ/{SIZE}/{FILE}" \
    PROJECT_CMD="bash $REPO/.ci/bench.sh serve {ROOT} 127.0.0.1:$PORT miss" \
    WORK=$WORK TPUT_S=$TPUT_S bash "$PEERS_DIR/peers.sh" >"$OUT/peers.md"
  cp "$WORK/results.tsv" "$OUT/peers.tsv"
  grep -c 'cache=made' "$WORK/project.log" >/dev/null 2>&1 &&
    ! grep -q 'cache=lru\|cache=bucket' "$WORK/project.log" || { log "project served a cached variant during peers.sh"; exit 1; }
fi

# ---- 4. the project alone: memory, throughput with distinct keys, hits, EXIF over HTTP ----------
P2=18091 U2=http://127.0.0.1:18091
SRC=$OUT/src; rm -rf "$SRC"; mkdir -p "$SRC"
for f in $IMAGES $PAIR; do ln -f "$IMG/$f" "$SRC/$f"; done
for k in 1 2 3 4 5 6 7 8; do mkdir -p "$SRC/k$k"; ln -f "$IMG/photo-24mp.jpg" "$SRC/k$k/photo-24mp.jpg"
  ln -f "$IMG/photo-13mp.jpg" "$SRC/k$k/photo-13mp.jpg"; done
M=$OUT/project.tsv; : >"$M"

log "peak RSS: one 24 MP miss, then eight different 24 MP misses at once (fresh servers)"
start "$SRC" $P2 miss rss1; curl -sf -o /dev/null "$U2/800x600/photo-24mp.jpg"; echo -e "rss1\t$(hwm "$PID")" >>"$M"; stop "$PID"
start "$SRC" $P2 miss rss8
t0=${EPOCHREALTIME/./} pids=()
for k in 1 2 3 4 5 6 7 8; do curl -sf -o /dev/null "$U2/800x600/k$k/photo-24mp.jpg" & pids+=($!); done
for p in "${pids[@]}"; do wait "$p" || log "a 24 MP request failed"; done
echo -e "rss8\t$(hwm "$PID")\t$(((${EPOCHREALTIME/./} - t0) / 1000))" >>"$M"; stop "$PID"

log "throughput: 2 clients, 13 MP misses, each client its own key, ${TPUT_S}s"
cat >"$OUT/own-key.lua" <<'EOF'
local n = 0
function setup(thread) n = n + 1; thread:set("id", n) end
function init(args) path = string.format(args[1], id) end
function request() return wrk.format("GET", path) end
EOF
start "$SRC" $P2 miss tput; check_miss "$U2/800x600/k1/photo-13mp.jpg"
wrk -t2 -c2 -d"${TPUT_S}s" --timeout 60s -s "$OUT/own-key.lua" "$U2" -- "/800x600/k%d/photo-13mp.jpg" >"$OUT/wrk-tput.txt" 2>&1
grep -q 'Non-2xx\|Socket errors' "$OUT/wrk-tput.txt" && { log "throughput run had errors"; cat "$OUT/wrk-tput.txt" >&2; }
echo -e "tput13\t$(awk '/Requests\/sec/{print $2}' "$OUT/wrk-tput.txt")" >>"$M"
! grep -q 'cache=lru\|cache=bucket' "$OUT/srv-tput.log" || { log "throughput run hit a cache"; exit 1; }
stop "$PID"

log "EXIF orientation over HTTP: orientation 6 against the same pixels upright (7 rounds)"
start "$SRC" $P2 miss exif
for r in 0 1 2 3 4 5 6 7; do for f in $PAIR; do
  v=$(curl -sf -o /dev/null -w '%{time_total}' "$U2/800x600/$f")
  [ $r = 0 ] || echo -e "http\t$f\t${v/./}" >>"$M"; done; done
stop "$PID"

log "hits: the LRU over loopback, wrk -t2 -c16, 10 s per size"
start "$SRC" $P2 hit hit
for s in 800x600 200x150; do
  curl -sf -o /dev/null "$U2/$s/photo-13mp.jpg"
  wrk -t2 -c16 -d10s --latency "$U2/$s/photo-13mp.jpg" >"$OUT/wrk-hit-$s.txt" 2>&1
  echo -e "hit\t$s\t$(awk '/Requests\/sec/{print $2}' "$OUT/wrk-hit-$s.txt")\t$(awk '$1 == "99%" {print $2}' "$OUT/wrk-hit-$s.txt")\t$(awk '/Transfer\/sec/{print $2}' "$OUT/wrk-hit-$s.txt")" >>"$M"
done
stop "$PID"

# ---- 5. the table --------------------------------------------------------------------------------
table "$OUT" | tee "$OUT/table.md"

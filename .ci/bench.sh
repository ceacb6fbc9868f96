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
# A miss is measured as a miss: the server runs with -store-nothing (no variant is stored, the
# LRU is off), so every request reads the original, decodes, resizes and encodes, and nothing is
# ever served from a cache; the script checks this (Server-Timing must say "made" twice in a row)
# before measuring. Concurrent requests for one key would share one decode (the handler's
# coalescing), which is why the project's own throughput and memory runs below give every client
# its own keys (aliases of the same file); peers.sh's throughput column for the project (wrk -c2 on
# one URL) is coalesced and is not used for the targets. The table is cmd/benchtable's, with the
# reference figures of .ci/bench-reference.tsv.
#
# Internal: bash .ci/bench.sh serve ROOT ADDR miss|hit   (the devserver over ROOT's images)
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
REPO=$PWD
OUT=$REPO/build/bench IMG=$REPO/bench-images
PEERS_DIR=${PEERS_DIR:-$REPO/../shared/bench}
WORK=${WORK:-/tmp/benchwork} TPUT_S=${TPUT_S:-5} GO_COUNT=${GO_COUNT:-5}
IMAGES="mid-2mp.jpg portrait-6mp.jpg photo-12mp.png photo-13mp.jpg photo-20mp.jpg photo-24mp.jpg"
PAIR="phone-13mp-o1.jpg phone-13mp-o6.jpg"
log() { echo "[bench] $*" >&2; }

# serve ROOT ADDR MODE: the devserver over a copy (hard links) of ROOT's images, exec'd so that the
# caller's PID is the server's (peers.sh reads its VmHWM). miss: -store-nothing (above).
serve() {
  local root=$1 addr=$2 mode=$3 d f flags=()
  d=$OUT/srv-${addr##*:}
  rm -rf "$d"; mkdir -p "$d/originals" "$d/cache"
  (cd "$root" && find . -type f \( -name '*.jpg' -o -name '*.png' \) ! -path './.*' -printf '%P\n') >"$d/keys"
  while read -r f; do mkdir -p "$d/originals/$(dirname "$f")"
    ln -f "$root/$f" "$d/originals/$f" 2>/dev/null || cp "$root/$f" "$d/originals/$f"; done <"$d/keys"
  [ "$mode" != miss ] || flags=(-store-nothing)
  exec "$OUT/devserver" -addr "$addr" -dir "$d" -cache "$d/cache" "${flags[@]}"
}
[ "${1:-}" = serve ] && { shift; serve "$@"; }

# table DIR: the ratio table from DIR's peers.md, peers.tsv, go-bench.txt and project.tsv (re-runnable).
table() { go run ./cmd/benchtable -images "$IMAGES" -ref .ci/bench-reference.tsv "$1"; }
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
  # shellcheck disable=SC2046
  gcc -O2 -o "$OUT/rot6" .ci/rot6.c $(pkg-config --cflags --libs vips) ${CGO_LDFLAGS:-}
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
  # Crop policies and /meta (issue 12): ratios within one interleaved run, apart from go-bench.txt.
  (cd handler/imaging && BENCH_IMAGES=$IMG "$OUT/imaging.test" -test.run '^$' \
    -test.bench '^BenchmarkCrop$' -test.benchtime 12x) | tee "$OUT/crop-bench.txt" | grep -E '^Benchmark' >&2
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

#!/usr/bin/env bash
# Layer download benchmark (issue 4): serve a 200 MB layer zip from a loopback HTTP server (python3's
# http.server on 127.0.0.1) and download it RUNS times with prewarm's code (LayerStore.download: libcurl
# streaming to a file while hashing, then the SHA-256 check) and with `curl -o`, alternating. Prints the
# median wall time and throughput of each, their ratio, and prewarm's peak RSS (and, for scale, curl -o
# followed by sha256sum, the same work as prewarm's with standard tools); then one run of the whole
# layer path (download, verify, extract, hash the directory, record) with its peak RSS.
# Goals: prewarm at least 0.8x curl's throughput; peak RSS under 60 MB.
#
# Usage: Benchmarks/layer-download/run.sh [RUNS]   (default 5; SIZE_MB changes the zip's size, default 200)
#        Needs GNU time at /usr/bin/time (Debian: apt-get install time) and curl.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
size_mb=${SIZE_MB:-200}
work=$(mktemp -d /tmp/pwl.XXXX)
server=
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
[ -x /usr/bin/time ] || { echo "run.sh: needs GNU time at /usr/bin/time; apt-get install time" >&2; exit 1; }

swift build -c release --product LayerFetchBench >/dev/null
bench=$(swift build -c release --show-bin-path)/LayerFetchBench

mkdir "$work/www"
python3 - "$work/www/layer.zip" "$size_mb" <<'PY'
import os, sys, zipfile
path, size = sys.argv[1], int(sys.argv[2])
with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
    with archive.open("python/blob.bin", "w", force_zip64=True) as target:
        for _ in range(size):
            target.write(os.urandom(1 << 20))
PY
sha=$(sha256sum "$work/www/layer.zip" | cut -d' ' -f1)
bytes=$(stat -c %s "$work/www/layer.zip")

python3 -u -m http.server --bind 127.0.0.1 --directory "$work/www" 0 >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q " port " "$work/server.log" && break; sleep 0.1; done
port=$(sed -n 's/.* port \([0-9]*\) .*/\1/p' "$work/server.log" | head -1)
url="http://127.0.0.1:$port/layer.zip"

# run NAME COMMAND...: appends the wall seconds to $work/NAME.s and the peak RSS (KiB) to $work/NAME.rss.
run() {
    local name=$1
    shift
    local start end
    start=$(date +%s%N)
    /usr/bin/time -f "%M" -o "$work/rss" "$@" >/dev/null
    end=$(date +%s%N)
    echo "$start $end" | awk '{ printf "%.4f\n", ($2 - $1) / 1e9 }' >>"$work/$name.s"
    cat "$work/rss" >>"$work/$name.rss"
}

# One warm-up of each (page cache, server), not counted.
"$bench" download "$url" "$sha" "$work/warm.zip" >/dev/null && curl -sf -o "$work/warm.zip" "$url" && rm -f "$work/warm.zip"
for _ in $(seq "$runs"); do
    run prewarm "$bench" download "$url" "$sha" "$work/prewarm.zip"
    rm -f "$work/prewarm.zip"
    run curl curl -sf -o "$work/curl.zip" "$url"
    rm -f "$work/curl.zip"
    run curlsha sh -c 'curl -sf -o "$1" "$2" && sha256sum "$1"' - "$work/curl.zip" "$url"
    rm -f "$work/curl.zip"
done
run layer "$bench" layer "$url" "$sha" "$work/cache"

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
max() { sort -n "$1" | tail -1; }
awk -v b="$bytes" -v n="$runs" -v p="$(median "$work/prewarm.s")" -v c="$(median "$work/curl.s")" \
    -v cs2="$(median "$work/curlsha.s")" \
    -v pr="$(max "$work/prewarm.rss")" -v cr="$(max "$work/curl.rss")" \
    -v ps="$(tr '\n' ' ' <"$work/prewarm.s")" -v cs="$(tr '\n' ' ' <"$work/curl.s")" \
    -v l="$(cat "$work/layer.s")" -v lr="$(cat "$work/layer.rss")" 'BEGIN {
    printf "layer zip: %.1f MB from python3 http.server on 127.0.0.1; %d runs each; MB = 10^6 bytes\n", b / 1e6, n
    printf "prewarm (LayerStore.download, SHA-256 checked): median %.3f s, %.1f MB/s, peak RSS %.1f MB\n", p, b / p / 1e6, pr / 1024
    printf "curl -o:                                        median %.3f s, %.1f MB/s, peak RSS %.1f MB\n", c, b / c / 1e6, cr / 1024
    printf "curl -o, then sha256sum (the same work):        median %.3f s, %.1f MB/s\n", cs2, b / cs2 / 1e6
    printf "whole layer (download, verify, extract, hash):  %.3f s, peak RSS %.1f MB\n", l, lr / 1024
    printf "runs (s): prewarm %s; curl %s\n", ps, cs
    printf "prewarm / curl throughput: %.2fx (goal >= 0.8x); prewarm peak RSS %.1f MB (goal < 60 MB)\n", c / p, pr / 1024
}'

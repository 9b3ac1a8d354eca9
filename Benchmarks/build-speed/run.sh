#!/usr/bin/env bash
# Build benchmark (issue 3): on a private dockerd, pre-warm a 40-function template (8 distinct
# images x 2 architectures) cold and again warm with `prewarm build`, and build the same
# images one after another the way SAM CLI does (one build per function, in template order,
# with SAM's Dockerfile and its RUN step). Prints the times and both ratios.
# Goals: cold at least 3x faster than one-after-another; warm under 1 second.
#
# Usage: Benchmarks/build-speed/run.sh [JOBS]   (installs and starts dockerd through ci/services;
#        JOBS is prewarm's --jobs, default its own default)
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d /tmp/pwb.XXXX)
engine="$work/e"
mkdir -p "$engine"
cleanup() { ci/services/dockerd stop "$engine" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

swift build -c release --product prewarm >/dev/null
prewarm=$(swift build -c release --show-bin-path)/prewarm
host=$(ci/services/dockerd start "$engine")
host=${host#DOCKER_HOST=}
DOCKER_HOST=$host ci/services/base-images >/dev/null
python3 Benchmarks/build-speed/app.py "$work/app"

args=(--docker-host "$host" --rie-dir "$work/app/rie" --skip-pull-image --journal "$work/journal.sqlite")
if [ -n "${1:-}" ]; then args+=(--jobs "$1"); fi
start=$(date +%s.%N)
"$prewarm" build "$work/app/template.yaml" "${args[@]}" >"$work/cold.log"
cold=$(echo "$(date +%s.%N) - $start" | awk '{ printf "%.2f", $1 - $3 }')
start=$(date +%s.%N)
"$prewarm" build "$work/app/template.yaml" "${args[@]}" >"$work/warm.log"
warm=$(echo "$(date +%s.%N) - $start" | awk '{ printf "%.2f", $1 - $3 }')
tail -1 "$work/cold.log"
tail -1 "$work/warm.log"

sequential=$(python3 Benchmarks/build-speed/sam_style.py "$host" "$work/app")
awk -v c="$cold" -v w="$warm" -v s="$sequential" 'BEGIN {
    printf "prewarm cold: %.2f s; prewarm warm: %.2f s; SAM-style one after another: %.2f s\n", c, w, s
    printf "cold speed-up over one-after-another: %.1fx (goal >= 3x); warm: %.2f s (goal < 1 s)\n", s / c, w
}'

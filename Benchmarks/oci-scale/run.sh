#!/usr/bin/env bash
# OCI store scale benchmark (issue 12): distinct images built into one OCI store, each function
# with its own pair of small template layers, by `prewarm build --engine oci` (release build).
# Builds 100, 1,000 and 10,000 images (each into a fresh store with only the base) and prints
# the mean time per image after the first for each, then the ratio of the largest to the smallest.
# Goals: under 5 ms per image at 10,000, and the 10,000 figure within 1.5x of the 100 figure.
#
# Usage: Benchmarks/oci-scale/run.sh [JOBS] [COUNTS...]   (JOBS default: the number of cores;
#        COUNTS default: 100 1000 10000). Nothing is pulled: the base is a tiny generated
#        `docker save` tar, imported first (untimed).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d /tmp/pws.XXXX)
trap 'rm -rf "$work"' EXIT
jobs=${1:-$(nproc)}
shift || true
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(100 1000 10000)

swift build -c release --product prewarm >/dev/null
prewarm="$(swift build -c release --show-bin-path)/prewarm"
export HOME="$work/home"
declare -A per_image
for count in "${counts[@]}"; do
    app="$work/app-$count"
    python3 Benchmarks/oci-scale/app.py "$app" "$count" >/dev/null
    "$prewarm" import --oci-store "$app/store" "$app/base.tar" >/dev/null
    line=$(Benchmarks/oci-build/timeline.py "$count images" -- "$prewarm" build "$app/template.yaml" \
        --engine oci --oci-store "$app/store" --rie-dir "$app/rie" --skip-pull-image --jobs "$jobs" \
        --journal "$app/journal.sqlite" --progress json 2>/dev/null)
    echo "$line"
    ms=$(sed -n 's/.* after the first \([0-9.]*\) ms.*/\1/p' <<<"$line")
    per_image[$count]=$ms
    names=$("$prewarm" verify --oci-store "$app/store" | tail -1)
    echo "  $names"
    rm -rf "$app"
done
first=${counts[0]}
last=${counts[${#counts[@]} - 1]}
for count in "${counts[@]}"; do printf '%s images: %s ms per image\n' "$count" "${per_image[$count]}"; done
awk -v a="${per_image[$first]}" -v b="${per_image[$last]}" -v f="$first" -v l="$last" 'BEGIN {
    printf "%s images vs %s: %.2fx per image (goal: under 5 ms at 10,000 and within 1.5x)\n", l, f, b / a
}'

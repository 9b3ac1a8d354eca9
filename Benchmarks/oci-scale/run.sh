#!/usr/bin/env bash
# OCI store scale benchmark (issue 12): distinct images built into one OCI store, each function
# with its own pair of small template layers, release build. For 100, 1,000 and 10,000 images
# (each into a fresh store holding only the base) it prints the mean time per image twice:
#   store:      OCIScaleBench, the OCIStore API alone, as `prewarm build` calls it per image
#               (the up-to-date check, the build, the repository's names), JOBS at once;
#   end to end: `prewarm build --engine oci` on the generated template (planner, scheduler,
#               journal, layer nodes too), the time per image after the first.
# then the ratio of the largest count's figure to the smallest's for each.
# Goals: under 5 ms per image at 10,000, and the 10,000 figure within 1.5x of the 100 figure.
#
# Usage: Benchmarks/oci-scale/run.sh [JOBS] [COUNTS...]   (JOBS default: the number of cores;
#        COUNTS default: 100 1000 10000). Nothing is pulled: the base is a tiny generated
#        `docker save` tar, imported first (untimed). PREWARM_SCALE_STORE_ONLY=1 skips the
#        end-to-end builds.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d /tmp/pws.XXXX)
trap 'rm -rf "$work"' EXIT
jobs=${1:-$(nproc)}
shift || true
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(100 1000 10000)

swift build -c release --product prewarm >/dev/null
swift build -c release --product OCIScaleBench >/dev/null
bin="$(swift build -c release --show-bin-path)"
export HOME="$work/home"
declare -A store_ms end_ms
for count in "${counts[@]}"; do
    app="$work/app-$count"
    python3 Benchmarks/oci-scale/app.py "$app" "$count" >/dev/null
    line=$("$bin/OCIScaleBench" "$app/store-api" "$app/base.tar" "$app" "$count" "$jobs")
    store_ms[$count]=$(sed -n 's/.*ms_per_image=\([0-9.]*\).*/\1/p' <<<"$line")
    echo "store, $count images: $line; $("$bin/prewarm" verify --oci-store "$app/store-api" | tail -1)"
    if [ "${PREWARM_SCALE_STORE_ONLY:-0}" != 1 ]; then
        "$bin/prewarm" import --oci-store "$app/store" "$app/base.tar" >/dev/null
        line=$(Benchmarks/oci-build/timeline.py "end to end, $count images" -- "$bin/prewarm" build \
            "$app/template.yaml" --engine oci --oci-store "$app/store" --rie-dir "$app/rie" --skip-pull-image \
            --jobs "$jobs" --journal "$app/journal.sqlite" --progress json 2>/dev/null)
        echo "$line"
        end_ms[$count]=$(sed -n 's/.* after the first \([0-9.]*\) ms.*/\1/p' <<<"$line")
    fi
    rm -rf "$app"
done
first=${counts[0]}
last=${counts[${#counts[@]} - 1]}
for count in "${counts[@]}"; do
    printf '%6s images: store %s ms per image; end to end %s ms per image\n' "$count" "${store_ms[$count]}" \
        "${end_ms[$count]:--}"
done
awk -v a="${store_ms[$first]}" -v b="${store_ms[$last]}" -v f="$first" -v l="$last" 'BEGIN {
    printf "store: %s images vs %s: %.2fx per image (goal: under 5 ms at 10,000 and within 1.5x)\n", l, f, b / a
}'
if [ -n "${end_ms[$first]:-}" ]; then
    awk -v a="${end_ms[$first]}" -v b="${end_ms[$last]}" -v f="$first" -v l="$last" 'BEGIN {
        printf "end to end: %s images vs %s: %.2fx per image\n", l, f, b / a
    }'
fi

#!/usr/bin/env bash
# Plan benchmark: generates a template of 5,000 functions and 300 layers across 3 nested
# stacks, builds prewarm in release mode and plans the template several times. Prints the
# wall time and peak memory (max RSS) of each run, the best and median, and the JSON document's size.
# Goals: under 1 second and under 200 MB on a 2-core machine (issue 2); `--format json` under 0.4 s
# on a quiet machine, as fast as the code at fd552dd (issue 21).
#
# Usage: Benchmarks/plan-scale/run.sh [RUNS] (default 5); FUNCTIONS, LAYERS, STACKS env vars.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

swift build -c release --product prewarm >/dev/null
binary=$(swift build -c release --show-bin-path)/prewarm
template=$(python3 Benchmarks/plan-scale/generate.py "$work/template" \
    --functions "${FUNCTIONS:-5000}" --layers "${LAYERS:-300}" --stacks "${STACKS:-3}")
lines=$(cat "$work"/template/template.yaml "$work"/template/stacks/*.yaml | wc -l)
echo "template: ${FUNCTIONS:-5000} functions, ${LAYERS:-300} layers, ${STACKS:-3} nested stacks, $lines lines"

"$binary" plan "$template" --format json >"$work/plan.json" 2>"$work/stderr" || {
    echo "prewarm plan failed:"; cat "$work/stderr"; exit 1; }
python3 - "$work/plan.json" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))["summary"]
print("plan: {functions} function builds, {images} images, {bases} base images, {layers} layers, {errors} errors".format(**summary))
PY
bytes=$(wc -c <"$work/plan.json")
awk -v b="$bytes" 'BEGIN { printf "json: %d bytes (%.1f MB)\n", b, b / 1000000 }'

for i in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$work/time.$i" "$binary" plan "$template" --format json >/dev/null 2>&1
    read -r seconds kilobytes <"$work/time.$i"
    awk -v i="$i" -v s="$seconds" -v k="$kilobytes" 'BEGIN { printf "run %d: %.2f s, %.1f MB peak RSS\n", i, s, k / 1024 }'
done
cat "$work"/time.* | sort -n | awk -v runs="$runs" '
    { t[NR] = $1; if ($2 > m) m = $2 }
    END { printf "best %.2f s, median %.2f s, peak RSS %.1f MB (goal: < 1 s, < 200 MB; json < 0.4 s)\n", t[1], t[int((runs + 1) / 2)], m / 1024 }'

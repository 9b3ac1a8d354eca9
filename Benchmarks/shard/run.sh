#!/usr/bin/env bash
# Shard benchmark: how well `--shard K/N` splits a template between N CI runners. For seeded templates
# of two kinds (generate.py: "clustered" services that share their layers with 10% cross-use, and
# "uniform" random use of all layers), it asks `prewarm plan --format json --shards N` for the split and
# prints, for N = 2, 4, 8: layers prepared across all shards / distinct layers (what the runners do
# more than one machine would), the same for a split by the hash of each image's name (the split before
# this one), max shard cost / mean, and images per shard (min–max).
# Goals at N = 4: clustered ≤ 1.5×, uniform ≤ 2.5×, max/mean ≤ 1.25 for both.
#
# Usage: Benchmarks/shard/run.sh [SEED] (default 1). PREWARM_BINARY uses that binary instead of a
# release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
seed=${1:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -n "${PREWARM_BINARY:-}" ]; then
    binary=$PREWARM_BINARY
else
    swift build -c release --product prewarm >/dev/null
    binary=$(swift build -c release --show-bin-path)/prewarm
fi

printf '%-10s %9s %6s %2s  %-14s %-14s %-9s %s\n' kind functions layers N "layers×(split)" "layers×(hash)" "max/mean" "images per shard"
for spec in "clustered 200 40" "clustered 2000 300" "uniform 200 40"; do
    read -r kind functions layers <<<"$spec"
    template=$(python3 Benchmarks/shard/generate.py "$work/$kind-$functions" --kind "$kind" \
        --functions "$functions" --layers "$layers" --seed "$seed")
    for n in 2 4 8; do
        "$binary" plan "$template" --format json --shards "$n" >"$work/plan.json" 2>"$work/stderr" || {
            cat "$work/stderr"
            exit 1
        }
        python3 - "$work/plan.json" "$kind" "$functions" "$layers" "$n" <<'PY'
import hashlib, json, sys
plan = json.load(open(sys.argv[1]))
kind, functions, layers, n = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
nodes = {node["id"]: node for node in plan["graph"]["nodes"]}
images = {f["node"]: f["shard"] for f in plan["functions"]}
def prepared(assignment):
    per = [set() for _ in range(n)]
    for node, shard in assignment.items():
        per[shard - 1].update(need for need in nodes[node]["needs"] if nodes[need]["kind"] == "layer")
    return sum(len(s) for s in per)
distinct = sum(1 for node in nodes.values() if node["kind"] == "layer")
hashed = {node: int(hashlib.sha256(node.encode()).hexdigest()[:16], 16) % n + 1 for node in images}
costs = [s["cost"] for s in plan["shards"]]
counts = [s["images"] for s in plan["shards"]]
assert sorted(images) == sorted(i for i, node in nodes.items() if node["kind"] == "image"), "every image in one shard"
print(f"{kind:<10} {functions:>9} {layers:>6} {n:>2}  {prepared(images) / distinct:<14.2f} {prepared(hashed) / distinct:<14.2f} "
      f"{max(costs) / (sum(costs) / n):<9.2f} {min(counts)}–{max(counts)}")
PY
    done
done

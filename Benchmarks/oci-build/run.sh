#!/usr/bin/env bash
# OCI engine benchmark (issue 5): 50 functions x 2 architectures (100 distinct images) sharing
# 5 template layers of 5 MB, built cold by the OCI engine into a fresh OCI store, and cold by
# the Docker engine path (`prewarm build`) on a fresh private dockerd. Prints both times, the
# OCI engine's time per image after the first and the bytes it wrote, and the speed-up.
# Goals: the OCI engine at least 5x faster than the Docker path; each image after the first
# under 20 ms; each layer blob written once (the bytes written are about 5 x 5 MB + 2 emulators
# + small JSON), a second run writing nothing.
#
# Usage: Benchmarks/oci-build/run.sh [JOBS]   (installs and starts dockerd through ci/services;
#        JOBS is the image builds at once for both engines, default the number of cores)
# The OCI engine is driven by the OCIBuildBenchmark target (scheduler + EngineExecutor +
# OCIStore) until `prewarm build --engine oci` exists; it imports the base images from
# `docker save` tars that ci/services/base-images writes (untimed).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d /tmp/pwo.XXXX)
engine="$work/e"
mkdir -p "$engine"
cleanup() { ci/services/dockerd stop "$engine" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
jobs=${1:-$(nproc)}

swift build -c release --product prewarm >/dev/null
swift build -c release --product OCIBuildBenchmark >/dev/null
bin=$(swift build -c release --show-bin-path)
python3 Benchmarks/oci-build/app.py "$work/app" >/dev/null
host=$(ci/services/dockerd start "$engine")
host=${host#DOCKER_HOST=}
DOCKER_HOST=$host ci/services/base-images --out "$work/bases" >/dev/null

# The OCI engine, cold (a new store), then again (nothing to do, nothing written).
"$bin/OCIBuildBenchmark" "$work/app/template.yaml" "$work/app/rie" "$work/store" "$work"/bases/*.tar \
    --jobs "$jobs" | tee "$work/oci-cold.txt"
"$bin/OCIBuildBenchmark" "$work/app/template.yaml" "$work/app/rie" "$work/store" --jobs "$jobs" | tee "$work/oci-warm.txt"
oci_ms=$(sed -n 's/.*total \([0-9.]*\) ms.*/\1/p' "$work/oci-cold.txt")
du -sh "$work/store" | awk '{ print "OCI store size: " $1 }'

# The Docker engine path, cold: the same template on a dockerd that has only the bases.
start=$(date +%s.%N)
"$bin/prewarm" build "$work/app/template.yaml" --arch x86_64,arm64 --docker-host "$host" \
    --rie-dir "$work/app/rie" --skip-pull-image --journal "$work/journal.sqlite" --jobs "$jobs" >"$work/docker.log"
docker_s=$(echo "$(date +%s.%N) - $start" | awk '{ printf "%.2f", $1 - $3 }')
tail -1 "$work/docker.log"

awk -v o="$oci_ms" -v d="$docker_s" 'BEGIN {
    printf "OCI engine cold: %.2f s; Docker engine path cold: %.2f s; speed-up %.1fx (goal >= 5x)\n", o / 1000, d, d * 1000 / o
}'

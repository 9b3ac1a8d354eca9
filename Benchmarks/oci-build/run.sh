#!/usr/bin/env bash
# OCI engine benchmark (issue 5): 50 functions x 2 architectures (100 distinct images) sharing
# 5 template layers of 5 MB, built cold by `prewarm build --engine oci` into a fresh OCI store,
# and cold by `prewarm build --engine docker` on a fresh private dockerd. Prints both times,
# each engine's time per image after the first, the bytes in the store's blobs/, a second OCI
# run (nothing built, blobs/ unchanged), and the speed-up.
# Goals: the OCI engine at least 5x faster than the Docker path; each image after the first
# under 20 ms; each layer blob written once (blobs/ holds about 5 x 5 MB + 2 emulators + small
# JSON), a second run writing nothing.
#
# Usage: Benchmarks/oci-build/run.sh [JOBS]   (installs and starts dockerd through ci/services;
#        JOBS is the image builds at once for both engines, default the number of cores)
# Both engines get the same base images, untimed: dockerd has them loaded (ci/services/base-images),
# the OCI store imports the same `docker save` tars (`prewarm import`). Neither pulls.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d /tmp/pwo.XXXX)
engine="$work/e"
mkdir -p "$engine"
cleanup() { ci/services/dockerd stop "$engine" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
jobs=${1:-$(nproc)}

swift build -c release --product prewarm >/dev/null
prewarm="$(swift build -c release --show-bin-path)/prewarm"
timeline=Benchmarks/oci-build/timeline.py
python3 Benchmarks/oci-build/app.py "$work/app" >/dev/null
host=$(ci/services/dockerd start "$engine")
host=${host#DOCKER_HOST=}
DOCKER_HOST=$host ci/services/base-images --out "$work/bases" >/dev/null
"$prewarm" import --oci-store "$work/store" "$work"/bases/*.tar >/dev/null

blobs() { find "$work/store/blobs" -type f -printf '%p %s %T@\n' | sort; }
common=(build "$work/app/template.yaml" --arch "x86_64,arm64" --rie-dir "$work/app/rie" --jobs "$jobs" --progress json)

# The OCI engine, cold (a new store with only the bases), then again (nothing to do, nothing written).
export HOME="$work/home"
blobs >"$work/blobs-bases.txt"
"$timeline" "OCI engine cold" -- "$prewarm" "${common[@]}" --engine oci --oci-store "$work/store" \
    --journal "$work/oci.sqlite" 2>/dev/null | tee "$work/oci-cold.txt"
blobs >"$work/blobs-cold.txt"
awk '{ n++; s += $2 } END { printf "OCI store blobs/: %d files, %d bytes (", n, s }' "$work/blobs-cold.txt"
awk '{ s += $2 } END { printf "%d bytes of them the imported bases); ", s }' "$work/blobs-bases.txt"
awk '$2 >= 5242880 { n++ } END { printf "%d blobs of 5 MB or more\n", n }' "$work/blobs-cold.txt"
"$timeline" "OCI engine again" -- "$prewarm" "${common[@]}" --engine oci --oci-store "$work/store" \
    --journal "$work/oci.sqlite" 2>/dev/null
blobs >"$work/blobs-warm.txt"
if cmp -s "$work/blobs-cold.txt" "$work/blobs-warm.txt"; then
    echo "second OCI run: blobs/ unchanged (same files, sizes and mtimes)"
else
    echo "second OCI run: blobs/ CHANGED"
fi

# The Docker engine path, cold: the same template on a dockerd that has only the bases.
"$timeline" "Docker engine path cold" -- "$prewarm" "${common[@]}" --engine docker --docker-host "$host" \
    --skip-pull-image --journal "$work/docker.sqlite" 2>/dev/null | tee "$work/docker-cold.txt"

oci_ms=$(sed -n 's/.*total \([0-9.]*\) ms.*/\1/p' "$work/oci-cold.txt")
docker_ms=$(sed -n 's/.*total \([0-9.]*\) ms.*/\1/p' "$work/docker-cold.txt")
awk -v o="$oci_ms" -v d="$docker_ms" 'BEGIN {
    printf "OCI engine cold: %.2f s; Docker engine path cold: %.2f s; speed-up %.1fx (goal >= 5x)\n", o / 1000, d / 1000, d / o
}'

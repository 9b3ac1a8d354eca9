#!/usr/bin/env bash
# sam local invoke benchmark (issue 10): every function of a 20-function template (python3.12 and
# provided.al2023; no layers, layers by ARN, layers defined in the template, one of them 160 MiB
# in 3,200 files)
# invoked once with the real SAM CLI's `sam local invoke`:
#   SAM alone   a cold engine (only the base images), then the 20 invokes;
#   prewarm     another cold engine, `prewarm build --for-sam`, then the same 20 invokes with
#               `--config-file` the configuration it wrote.
# Prints both totals, the ratio, and how many "Building image" lines SAM printed on each side.
# Goal: no build by SAM on the pre-warmed side, and that whole pass at least 2x faster.
# Both sides use --skip-pull-image (the bases are local; nothing may leave the machine) and the same
# layer by ARN already in SAM's cache, as SAM leaves it after downloading it.
#
# Usage: Benchmarks/sam-invoke/run.sh [PREWARM_BINARY]   (needs ci/install's .build-sam; starts
#        dockerd with a bridge). Default binary: the release build's, built first, as the other
#        benchmarks do (a debug build's takes about 1.8 s longer for the 160 MiB layer).
set -euo pipefail
# The binary's path is made absolute before the cd below (and the cd into each side's app).
given="${1:+$(realpath -m "$1")}"
cd "$(dirname "$0")/../.."
repo="$(pwd -P)"
work="$(mktemp -d /tmp/pwsi.XXXX)"
cleanup() {
    for side in alone prewarm; do ci/services/dockerd stop "$work/$side/d" >/dev/null 2>&1 || true; done
    rm -rf "$work"
}
trap cleanup EXIT
if [ -n "$given" ]; then
    prewarm="$given"
else
    swift build -c release --product prewarm >/dev/null
    prewarm="$(swift build -c release --show-bin-path)/prewarm"
fi
[ -x "$prewarm" ] || { echo "sam-invoke: no prewarm binary at $prewarm" >&2; exit 2; }
sam="$repo/.build-sam/bin/sam"
rie_dir="$(echo "$repo"/.build-sam/lib/python3*/site-packages/samcli/local/rapid)"
gcc -static -O2 -o "$work/bootstrap" Tests/Fixtures/sam-local/src/provided/bootstrap.c
export SAM_CLI_TELEMETRY=0 AWS_EC2_METADATA_DISABLED=true AWS_DEFAULT_REGION=us-east-1 DOCKER_BUILDKIT=0
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE SAM_LAYER_CACHE_BASEDIR

now() { date +%s.%N; }

# side NAME: a cold engine and an app of its own; prints "SECONDS BUILDS" after invoking everything.
side() {
    local name="$1" dir="$work/$1" began config="" builds=0 function
    mkdir -p "$dir/d" "$dir/home/.aws-sam"
    export HOME="$dir/home"
    printf '{"telemetryEnabled": false, "lastVersionCheck": %s.5}\n' "$(date +%s)" >"$HOME/.aws-sam/metadata.json"
    DOCKER_HOST="$(ci/services/dockerd start "$dir/d" --bridge "pwsi$((RANDOM % 10000))")"
    export DOCKER_HOST="${DOCKER_HOST#DOCKER_HOST=}"
    ci/services/sam-bases >/dev/null
    ci/services/base-images public.ecr.aws/lambda/provided:al2023-x86_64 >/dev/null
    python3 Benchmarks/sam-invoke/app.py "$dir/app" "$HOME" "$work/bootstrap"
    began="$(now)"
    if [ "$name" = prewarm ]; then
        (cd "$dir/app" && "$prewarm" build --for-sam --skip-pull-image --rie-dir "$rie_dir" \
            --docker-host "$DOCKER_HOST") >"$dir/build.out" 2>"$dir/build.err" || {
            tail -n 20 "$dir/build.err" >&2
            echo "sam-invoke: prewarm build failed" >&2
            exit 1
        }
        config="$(sed -n 's/.*run: sam local invoke --config-file \([^ ]*\) .*/\1/p' "$dir/build.err")"
        echo "prewarm build: $(tail -n 1 "$dir/build.out")" >&2
    fi
    while read -r function; do
        if [ -n "$config" ]; then
            (cd "$dir/app" && "$sam" local invoke "$function" --config-file "$config") >"$dir/$function.out" 2>"$dir/$function.err"
        else
            (cd "$dir/app" && "$sam" local invoke "$function" --skip-pull-image) >"$dir/$function.out" 2>"$dir/$function.err"
        fi
        grep -q "\"function\": \"$function\"" "$dir/$function.out" || {
            tail -n 20 "$dir/$function.err" >&2
            echo "sam-invoke: $name: $function gave no answer" >&2
            exit 1
        }
        builds=$((builds + $(grep -c "Building image" "$dir/$function.err" || true)))
    done <"$dir/app/functions.txt"
    local result
    result="$(echo "$(now) $began" | awk '{ printf "%.1f", $1 - $2 }') $builds"
    # Stopped before the result is printed: the caller reads it and may exit (and clean up) at once.
    ci/services/dockerd stop "$dir/d" >/dev/null
    echo "$result"
}

read -r alone alone_builds < <(side alone)
read -r warmed warmed_builds < <(side prewarm)
awk -v a="$alone" -v ab="$alone_builds" -v w="$warmed" -v wb="$warmed_builds" 'BEGIN {
    printf "SAM alone, cold engine: %.1f s, %d \"Building image\"\n", a, ab
    printf "prewarm build --for-sam + the same invokes: %.1f s, %d \"Building image\"\n", w, wb
    printf "ratio: %.2fx (goal >= 2x, and 0 builds by SAM)\n", a / w
}'

#!/usr/bin/env bash
# sam local on a built project (issue 18): a generated project of 12 python3.11 functions (app.py says
# which), 9 of them sharing a dependencies layer of 85 MiB in 2,400 files (BuildMethod: makefile), goes
# through the real `sam build` once (offline: a local wheel, PIP_NO_INDEX/PIP_FIND_LINKS), then, each
# measurement on a cold engine of its own (a fresh dockerd with only the base image):
#   invoke     SAM alone: `sam local invoke` of every function once;
#              prewarm:   `prewarm build --for-sam` on .aws-sam/build/template.yaml, then the same invokes
#              with --config-file the configuration it wrote;
#   start-api  SAM alone: `sam local start-api --warm-containers EAGER`, timed until every endpoint answers
#              over HTTP; prewarm: `prewarm build --for-sam`, then the same start-api with --config-file.
# Prints a table of the times, the ratios, and how many "Building image" lines SAM printed on each side.
# Goal: start-api at least 2x faster with prewarm, and 0 builds by SAM on its side.
# Every side uses --skip-pull-image (the bases are local; nothing may leave the machine).
#
# Usage: Benchmarks/sam-built/run.sh [PREWARM_BINARY]   (needs ci/install's .build-sam, make and Debian's
#        python3.11 with pip; starts dockerd with a bridge). Default binary: the release build's, built
#        first, as the other benchmarks do. DEPS_FILES and DEPS_FILE_BYTES change the layer's size.
set -euo pipefail
# The binary's path is made absolute before the cd below (and the cd into each side's project).
given="${1:+$(realpath -m "$1")}"
cd "$(dirname "$0")/../.."
repo="$(pwd -P)"
work="$(mktemp -d /tmp/pwsb.XXXX)"
api_pid=""
cleanup() {
    [ -z "$api_pid" ] || kill -KILL "$api_pid" 2>/dev/null || true
    local dir
    for dir in "$work"/*/d; do [ -d "$dir" ] && ci/services/dockerd stop "$dir" >/dev/null 2>&1 || true; done
    rm -rf "$work"
}
trap cleanup EXIT
if [ -n "$given" ]; then
    prewarm="$given"
else
    swift build -c release --product prewarm >/dev/null
    prewarm="$(swift build -c release --show-bin-path)/prewarm"
fi
[ -x "$prewarm" ] || { echo "sam-built: no prewarm binary at $prewarm" >&2; exit 2; }
sam="$repo/.build-sam/bin/sam"
[ -x "$sam" ] || { echo "sam-built: no SAM CLI at $sam (run ci/install)" >&2; exit 2; }
rie_dir="$(echo "$repo"/.build-sam/lib/python3*/site-packages/samcli/local/rapid)"
export SAM_CLI_TELEMETRY=0 AWS_EC2_METADATA_DISABLED=true AWS_DEFAULT_REGION=us-east-1 DOCKER_BUILDKIT=0
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE SAM_LAYER_CACHE_BASEDIR

now() { date +%s.%N; }
log() { echo "sam-built: $*" >&2; }
# die MESSAGE: stops a start-api of this (sub)shell, says MESSAGE, exits 1.
die() {
    [ -z "$api_pid" ] || kill -KILL "$api_pid" 2>/dev/null || true
    log "$*"
    exit 1
}

# The project, built once by the real `sam build` (no engine needed: no Image function).
python3 Benchmarks/sam-built/app.py "$work/project" "$work/wheels"
mkdir -p "$work/bin" "$work/home/.aws-sam"
ln -s "$(command -v /usr/bin/python3.11 || command -v python3.11)" "$work/bin/python3.11"
began="$(now)"
(cd "$work/project" && HOME="$work/home" PATH="$work/bin:$PATH" PIP_NO_INDEX=1 PIP_FIND_LINKS="$work/wheels" \
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$sam" build) >"$work/sam-build.log" 2>&1 || {
    tail -n 20 "$work/sam-build.log" >&2
    log "sam build failed"
    exit 1
}
log "sam build: $(echo "$(now) $began" | awk '{ printf "%.1f", $1 - $2 }') s; the layer: $(du -sm \
    "$work/project/.aws-sam/build/BigDeps" | cut -f1) MiB in $(find "$work/project/.aws-sam/build/BigDeps" -type f |
    wc -l) files"

# side NAME MODE: a cold engine and a copy of the built project of its own; MODE invoke or start-api, NAME
# alone or prewarm. Prints "SECONDS BUILDS".
side() {
    local name="$1" mode="$2" dir="$work/$1-$2" began config="" builds=0 function
    mkdir -p "$dir/d" "$dir/home/.aws-sam" "$dir/tmp"
    export HOME="$dir/home" TMPDIR="$dir/tmp" # SAM's build locks are in TMPDIR: one side's its own
    printf '{"telemetryEnabled": false, "lastVersionCheck": %s.5}\n' "$(date +%s)" >"$HOME/.aws-sam/metadata.json"
    DOCKER_HOST="$(ci/services/dockerd start "$dir/d" --bridge "pwsb$((RANDOM % 10000))")"
    export DOCKER_HOST="${DOCKER_HOST#DOCKER_HOST=}"
    ci/services/sam-bases --name public.ecr.aws/lambda/python:3.11-x86_64 >/dev/null
    cp -R "$work/project" "$dir/project"
    local sam_args=(--skip-pull-image)
    began="$(now)"
    if [ "$name" = prewarm ]; then
        # No template: prewarm finds .aws-sam/build/template.yaml, as sam local does.
        (cd "$dir/project" && "$prewarm" build --for-sam --skip-pull-image \
            --rie-dir "$rie_dir" --docker-host "$DOCKER_HOST") >"$dir/build.out" 2>"$dir/build.err" || {
            tail -n 20 "$dir/build.err" >&2
            die "prewarm build failed"
        }
        config="$(sed -n 's/.*run: sam local invoke --config-file \([^ ]*\) .*/\1/p' "$dir/build.err")"
        sam_args=(--config-file "$config")
        log "$mode: prewarm build: $(tail -n 1 "$dir/build.out")"
    fi
    if [ "$mode" = invoke ]; then
        while read -r function; do
            (cd "$dir/project" && "$sam" local invoke "$function" "${sam_args[@]}") >"$dir/$function.out" 2>"$dir/$function.err"
            # The body is a JSON string in the answer: \"function\": \"F1\".
            grep -qF "\\\"function\\\": \\\"$function\\\"" "$dir/$function.out" || {
                tail -n 20 "$dir/$function.err" >&2
                die "$name: $function gave no answer"
            }
            builds=$((builds + $(grep -c "Building image" "$dir/$function.err" || true)))
        done <"$dir/project/functions.txt"
    else
        local port path deadline
        port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
        (cd "$dir/project" && exec "$sam" local start-api --warm-containers EAGER "${sam_args[@]}" -p "$port" \
            --host 127.0.0.1) </dev/null >"$dir/api.out" 2>"$dir/api.err" &
        api_pid=$!
        deadline=$(($(date +%s) + 900))
        while read -r function; do
            path="/f${function#F}"
            until curl -sf --max-time 60 -o "$dir/$function.out" "http://127.0.0.1:$port$path"; do
                kill -0 "$api_pid" 2>/dev/null || { tail -n 20 "$dir/api.err" >&2; die "$name: start-api exited"; }
                [ "$(date +%s)" -lt "$deadline" ] || die "$name: $path did not answer in 900 s"
                sleep 0.2
            done
            grep -q "\"function\": \"$function\"" "$dir/$function.out" || die "$name: $path: wrong answer"
        done <"$dir/project/functions.txt"
    fi
    local result
    result="$(echo "$(now) $began" | awk '{ printf "%.1f", $1 - $2 }')"
    if [ -n "$api_pid" ]; then
        kill -INT "$api_pid" 2>/dev/null || true
        local waited=0
        while kill -0 "$api_pid" 2>/dev/null && [ $waited -lt 60 ]; do
            sleep 0.5
            waited=$((waited + 1))
        done
        kill -KILL "$api_pid" 2>/dev/null || true
        wait "$api_pid" 2>/dev/null || true
        api_pid=""
        builds=$(grep -c "Building image" "$dir/api.err" || true)
    fi
    # Stopped before the result is printed: the caller reads it and may exit (and clean up) at once.
    ci/services/dockerd stop "$dir/d" >/dev/null
    rm -rf "$dir/d/data" "$dir/project"
    echo "$result $builds"
}

read -r invoke_alone invoke_alone_builds < <(side alone invoke)
read -r invoke_warmed invoke_warmed_builds < <(side prewarm invoke)
read -r api_alone api_alone_builds < <(side alone start-api)
read -r api_warmed api_warmed_builds < <(side prewarm start-api)
[ -n "$invoke_alone" ] && [ -n "$invoke_warmed" ] && [ -n "$api_alone" ] && [ -n "$api_warmed" ] ||
    { log "a side failed (above)"; exit 1; }
awk -v ia="$invoke_alone" -v iab="$invoke_alone_builds" -v iw="$invoke_warmed" -v iwb="$invoke_warmed_builds" \
    -v aa="$api_alone" -v aab="$api_alone_builds" -v aw="$api_warmed" -v awb="$api_warmed_builds" 'BEGIN {
    printf "%-36s %10s %10s %8s %16s %16s\n", "", "SAM alone", "prewarm", "ratio", "builds (alone)", "builds (prewarm)"
    printf "%-36s %9.1fs %9.1fs %7.2fx %16d %16d\n", "invoke, each of 12 functions once", ia, iw, ia / iw, iab, iwb
    printf "%-36s %9.1fs %9.1fs %7.2fx %16d %16d\n", "start-api EAGER, until all answer", aa, aw, aa / aw, aab, awb
    print "prewarm: `prewarm build --for-sam` included; builds: \"Building image\" lines SAM printed"
    print "goal: start-api >= 2x, 0 builds by SAM on the prewarm side"
}'

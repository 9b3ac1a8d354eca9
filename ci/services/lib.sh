# shellcheck shell=bash
# Helpers shared by the scripts in ci/services/ (sourced, never run): installing Debian
# packages that are missing, waiting for an Engine API socket to answer /_ping, and
# stopping a server by the PID its start script recorded (never by name).

# The longest path a unix socket may have (sun_path is 108 bytes with the trailing NUL).
readonly SERVICES_MAX_SOCKET_PATH=107

# services_now_ms: milliseconds since the epoch, for timings.
services_now_ms() {
    date +%s%3N
}

# services_log MESSAGE...: a progress line on stderr, so that stdout stays machine-readable.
services_log() {
    echo "${SERVICES_NAME:-ci/services}: $*" >&2
}

# services_die MESSAGE...: prints the message on stderr and exits 1.
services_die() {
    services_log "error: $*"
    exit 1
}

# services_apt_install PACKAGE...: installs the Debian packages not already installed.
# Runs `apt-get update` first only when a package is missing.
services_apt_install() {
    local missing=() pkg
    for pkg in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$pkg")
        fi
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    services_log "installing Debian packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# services_state_dir DIR: prints DIR as an absolute path, creating it (mode 0700).
# Fails when the sockets that will live in it would be too long for a unix socket path.
services_state_dir() {
    local dir="$1"
    [ -n "$dir" ] || services_die "no state directory given"
    dir="$(realpath -m "$dir")"
    # dockerd's containerd puts DIR/exec/containerd/containerd.sock.ttrpc (35 more bytes).
    if [ $((${#dir} + 36)) -gt $SERVICES_MAX_SOCKET_PATH ]; then
        services_die "state directory '$dir' is too long for unix socket paths under it; use a short one such as \$(mktemp -d /tmp/engine.XXXX)"
    fi
    mkdir -p "$dir"
    chmod 0700 "$dir"
    echo "$dir"
}

# services_pid_alive PIDFILE MARKER: true when PIDFILE names a live process whose command
# line contains MARKER (the state directory), so that a recycled PID is never taken for ours.
services_pid_alive() {
    local pidfile="$1" marker="$2" pid
    [ -s "$pidfile" ] || return 1
    pid="$(cat "$pidfile")"
    services_pid_running "$pid" || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker"
}

# services_log_tail LOG: the last lines of a server's log on stderr, without containerd's and
# gRPC's chatter.
services_log_tail() {
    grep -v 'module=grpc' "$1" | tail -n 20 | sed 's/^/    /' >&2 || true
}

# services_wait_ping SOCKET PID LOG TIMEOUT_SECONDS: waits until GET /_ping on SOCKET answers.
# Returns 1 (after printing the tail of LOG) when PID exits first or the timeout passes.
services_wait_ping() {
    local socket="$1" pid="$2" log="$3" timeout="$4"
    local deadline=$((SECONDS + timeout))
    while [ $SECONDS -lt "$deadline" ]; do
        if [ -S "$socket" ] && curl -sf -m 2 --unix-socket "$socket" http://localhost/_ping >/dev/null 2>&1; then
            return 0
        fi
        if ! services_pid_running "$pid"; then
            services_log "the server (PID $pid) exited before $socket answered /_ping; last lines of $log:"
            services_log_tail "$log"
            return 1
        fi
        sleep 0.1
    done
    services_log "$socket did not answer /_ping within ${timeout}s; last lines of $log:"
    services_log_tail "$log"
    return 1
}

# services_pid_running PID: true while PID exists and has not exited. A server whose start
# script has exited is re-parented to PID 1, which may reap it only seconds later: a zombie
# counts as exited.
services_pid_running() {
    local state
    state="$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" || return 1
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# services_kill_pid PID TIMEOUT_SECONDS: sends SIGTERM to PID, waits for it to exit, and sends
# SIGKILL after TIMEOUT_SECONDS. The PID need not be a child of this shell.
services_kill_pid() {
    local pid="$1" timeout="$2"
    services_pid_running "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + timeout))
    while services_pid_running "$pid"; do
        if [ $SECONDS -ge "$deadline" ]; then
            services_log "PID $pid still running ${timeout}s after SIGTERM; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.2
            break
        fi
        sleep 0.05
    done
    # A child of this shell (when start and stop run in one script) is reaped here.
    wait "$pid" 2>/dev/null || true
}

# services_unmount_under DIR: unmounts whatever is still mounted below DIR (deepest first),
# e.g. overlay mounts left by a server that was killed, so that `rm -rf DIR` works.
services_unmount_under() {
    local dir="$1" mnt
    awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r mnt; do
        umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || services_log "could not unmount $mnt"
    done
}

# services_proxy_env: the environment given to every engine so that a pull can never reach
# the internet: any HTTP(S) request goes to a proxy on 127.0.0.1:9 where nothing listens
# (connection refused at once), except to loopback, where test registries listen.
services_proxy_env() {
    echo "HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 NO_PROXY=127.0.0.1,localhost,::1 no_proxy=127.0.0.1,localhost,::1"
}

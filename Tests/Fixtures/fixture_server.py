"""The start-up every fixture server of these tests shares (stdlib only).

A server script adds `--port` and `--lifetime` with `add_arguments(parser)`, makes its server bound
to 127.0.0.1 (`ADDRESS`, port 0 for a free one), and hands it to `serve(server)`, which

- unblocks SIGTERM and SIGINT (a parent that runs threads, as Swift's test runner does, may start
  the script with them blocked) and exits at once on SIGTERM;
- exits when the parent process goes away, or after `--lifetime` seconds (default 600);
- prints `WORD value` lines given as `announcements`, then `LISTENING <port>` (or `listening`, e.g.
  a socket path), flushed, which is what `FixtureServer` in Tests/PrewarmTestKit waits for;
- serves until one of the above ends the process.

Scripts in a directory under Tests/Fixtures import it with
`sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))`.
"""

import os
import signal
import threading
import time

ADDRESS = "127.0.0.1"


def add_arguments(parser, port_default=0):
    """`--port` (default `port_default`) and `--lifetime` (seconds, default 600)."""
    parser.add_argument("--port", type=int, default=port_default)
    parser.add_argument("--lifetime", type=float, default=600)


def _watch_parent(lifetime):
    parent = os.getppid()
    deadline = time.monotonic() + lifetime
    while os.getppid() == parent and time.monotonic() < deadline:
        time.sleep(0.5)
    os._exit(0)


def stop_with_parent(lifetime):
    """SIGTERM ends the process; so does the parent's end, or `lifetime` seconds passing."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    threading.Thread(target=_watch_parent, args=(lifetime,), daemon=True).start()


def serve(server, announcements=(), listening=None):
    """Prints each `(word, value)` of `announcements`, then `LISTENING` and `listening` (the server's
    port when not given), and serves until the process ends."""
    for word, value in announcements:
        print("%s %s" % (word, value), flush=True)
    if listening is None:
        listening = server.server_address[1]
    print("LISTENING %s" % listening, flush=True)
    server.serve_forever(poll_interval=0.1)

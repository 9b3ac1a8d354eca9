#!/usr/bin/env python3
"""A proxy between prewarm and a Docker engine's unix socket that breaks chosen requests, for the tests
of retries. Standard library only.

Usage:
  cutting_proxy.py --listen PATH --upstream PATH --match 'METHOD /PATH' [--fault cut|half|STATUS]
                   [--times N] [--report FILE] [--lifetime S]

Listens on the unix socket --listen and forwards every request to the engine listening on the unix
socket --upstream. A request whose method is METHOD and whose path, without the `/v1.NN` version prefix
and the query, is /PATH (e.g. `POST /images/load`) is "matched"; the first --times (default 1) matched
requests are not forwarded but faulted:
  cut      (default) reads the request's header and part of its body (half of Content-Length, at most
           1 MiB, whatever arrives within 2 s), then closes the connection without a word: the engine's
           connection is lost in the middle of the request.
  half     reads the whole request, sends a status line (200) and one header field, then closes the
           connection before the header block's end: an answer cut short.
  STATUS   reads the whole request and answers STATUS with the JSON body
           {"message": "cutting_proxy: STATUS for METHOD /PATH"}, as an engine that refuses.
Every forwarded request is sent with `Connection: close`, so that each request has a connection of its
own: libcurl resends by itself a request whose reused connection dies before any answer, and that is not
what the tests are about.

After every request it rewrites FILE (atomically) with
  {"requests": n, "matched": n, "faulted": n}
Prints `LISTENING <path>` once it accepts connections. It exits on SIGTERM, when its parent goes away,
or after --lifetime seconds (default 600).
"""
import argparse
import json
import os
import re
import selectors
import signal
import socket
import sys
import threading
import time

VERSION_PREFIX = re.compile(r"^/v[0-9]+(?:\.[0-9]+)*(?=/)")


class State:
    def __init__(self, options):
        self.options = options
        self.method, _, self.path = options.match.partition(" ")
        self.lock = threading.Lock()
        self.counts = {"requests": 0, "matched": 0, "faulted": 0}

    def classify(self, method, target):
        """Counts a request; returns whether it is to be faulted."""
        path = VERSION_PREFIX.sub("", target.split("?", 1)[0], count=1)
        with self.lock:
            self.counts["requests"] += 1
            matched = method == self.method and path == self.path
            fault = matched and self.counts["faulted"] < self.options.times
            if matched:
                self.counts["matched"] += 1
            if fault:
                self.counts["faulted"] += 1
            self.write_report()
            return fault

    def write_report(self):
        if not self.options.report:
            return
        temporary = self.options.report + ".tmp"
        with open(temporary, "w") as file:
            json.dump(self.counts, file)
        os.replace(temporary, self.options.report)


def read_head(client):
    """The request's header block (through the blank line) and the body bytes read after it, or None."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = client.recv(65536)
        if not chunk:
            return None
        data += chunk
        if len(data) > 1 << 20:
            return None
    end = data.index(b"\r\n\r\n") + 4
    return data[:end], data[end:]


def header_fields(head):
    lines = head.decode("latin-1").split("\r\n")
    method, target = (lines[0].split(" ") + ["", ""])[:2]
    fields = []
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            fields.append((name.strip(), value.strip()))
    return method, target, fields


def content_length(fields):
    for name, value in fields:
        if name.lower() == "content-length" and value.isdigit():
            return int(value)
    return 0


def fault(client, options, method, target, fields, body):
    length = content_length(fields)
    if options.fault == "cut":
        wanted = min(length // 2, 1 << 20)
        client.settimeout(2)
        try:
            while len(body) < wanted:
                chunk = client.recv(65536)
                if not chunk:
                    break
                body += chunk
        except socket.timeout:
            pass
        return
    client.settimeout(30)
    while len(body) < length:
        chunk = client.recv(65536)
        if not chunk:
            return
        body += chunk
    if options.fault == "half":
        client.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        return
    status = int(options.fault)
    path = VERSION_PREFIX.sub("", target.split("?", 1)[0], count=1)
    message = json.dumps({"message": "cutting_proxy: %d for %s %s" % (status, method, path)}).encode()
    client.sendall(
        b"HTTP/1.1 %d Injected\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
        b"Connection: close\r\n\r\n%s" % (status, len(message), message))


def forward(client, upstream_path, head, rest):
    method, target, fields = header_fields(head)
    lines = ["%s %s HTTP/1.1" % (method, target)]
    lines += ["%s: %s" % field for field in fields if field[0].lower() not in ("connection", "keep-alive")]
    lines.append("Connection: close")
    upstream = socket.socket(socket.AF_UNIX)
    try:
        upstream.connect(upstream_path)
        upstream.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + rest)
        selector = selectors.DefaultSelector()
        selector.register(client, selectors.EVENT_READ, upstream)
        selector.register(upstream, selectors.EVENT_READ, client)
        while True:
            for key, _ in selector.select():
                chunk = key.fileobj.recv(65536)
                if not chunk:
                    if key.fileobj is upstream:
                        return  # the engine answered and closed: so do we
                    selector.unregister(client)
                    upstream.shutdown(socket.SHUT_WR)
                    continue
                key.data.sendall(chunk)
    finally:
        upstream.close()


def serve(client, state):
    try:
        request = read_head(client)
        if request is None:
            return
        head, rest = request
        method, target, fields = header_fields(head)
        if state.classify(method, target):
            fault(client, state.options, method, target, fields, rest)
        else:
            forward(client, state.options.upstream, head, rest)
    except OSError:
        pass
    finally:
        client.close()


def watch_parent(lifetime):
    parent = os.getppid()
    deadline = time.monotonic() + lifetime
    while os.getppid() == parent and time.monotonic() < deadline:
        time.sleep(0.5)
    os._exit(0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", required=True)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--match", required=True)
    parser.add_argument("--fault", default="cut")
    parser.add_argument("--times", type=int, default=1)
    parser.add_argument("--report")
    parser.add_argument("--lifetime", type=float, default=600)
    options = parser.parse_args()
    if options.fault not in ("cut", "half") and not options.fault.isdigit():
        parser.error("--fault is cut, half or a status")
    # A parent that runs threads (Swift's test runner) may start us with SIGTERM blocked.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    threading.Thread(target=watch_parent, args=(options.lifetime,), daemon=True).start()
    state = State(options)
    state.write_report()
    if os.path.exists(options.listen):
        os.unlink(options.listen)
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(options.listen)
    listener.listen(64)
    print("LISTENING %s" % options.listen, flush=True)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=serve, args=(client, state), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())

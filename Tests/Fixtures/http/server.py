#!/usr/bin/env python3
"""A small HTTP/1.1 server for PrewarmHTTP's tests. Standard library only.

Usage:
  server.py --port 0 [--tls-cert CERT --tls-key KEY] [--blackhole]   listens on 127.0.0.1
  server.py --unix PATH                                                listens on a unix socket

Prints `LISTENING <port or path>` once it accepts connections (and `BLACKHOLE <port>` with
--blackhole: a port on 127.0.0.1 whose accept queue is full, so connecting to it times out).
It exits on SIGTERM, when its parent goes away, or after --lifetime seconds.

Endpoints (query parameters in brackets):
  GET  /ping                        "OK"
  GET  /bytes/N [ranges=0]          N bytes, byte i = i % 251; honours `Range: bytes=a-[b]` unless ranges=0
  POST|PUT /echo                    the request body back; X-Request-Method and X-Request-Content-Type
  POST|PUT /digest                  {"bytes": n, "sha256": hex, "method": m, "content_length": header}
  GET  /status/N                    status N with a JSON body {"message": ...}
  GET  /status-echo/N               status N with a text body that repeats the whole request target
  GET  /delay [ms]                  "ok" after ms milliseconds
  GET  /hold [id, ms]               waits up to ms for the client to go away; see /hold-status
  GET  /hold-status [id]            {"state": "holding" | "aborted" | "completed" | "unknown"}
  GET  /stall [length, send, ms]    announces `length` bytes, sends `send`, then stalls for ms and closes
  GET  /ndjson [lines, gate]        chunked newline-delimited JSON, one line per chunk; with gate,
                                    waits after the first line until /release?id=gate (10 s at most)
  GET  /ndjson-split [lines, piece, crlf]  the same lines cut in `piece`-byte chunks, ending with an
                                    empty line and a last line without a line break
  GET  /release [id]                opens the gate; {"waiting": true} if the stream was waiting on it
  GET  /gate-status [id]            {"waiting": bool, "stream": "streaming" | "aborted" | "completed" | ...}
  GET  /truncated [length, send]    announces `length` bytes, sends `send`, closes the connection
  GET|POST /cut-head                a status line (200) and one header field, then closes the connection
                                    before the blank line that would end the header block
  GET  /redirect [to]               302 to `to`
  GET  /headers                     the request's header fields as JSON
  GET  /file/NAME [id, faults, ranges=0, slow]  the file NAME of --root, honouring `Range` unless
                                    ranges=0. `faults` is a comma-separated list, one per request
                                    with the same id, then "ok": a status number, "truncate" (half
                                    the body, then a clean close), "reset" (half, then a TCP reset),
                                    "corrupt" (one byte changed). slow=ms waits before each 64 KiB
  GET  /requests [id]               {"count": n, "ranges": [Range field or null, ...]} for /file
"""
import argparse
import hashlib
import json
import os
import select
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import fixture_server  # noqa: E402

PATTERN_PERIOD = 251
PATTERN = bytes(i % PATTERN_PERIOD for i in range(PATTERN_PERIOD * 512))  # ~128 KiB, a whole number of periods

HOLDS = {}
GATES = {}
REQUESTS = {}
ROOT = None
STATE_LOCK = threading.Lock()


def pattern_bytes(start, length):
    """Yields the bytes [start, start + length) of the deterministic content, in pieces."""
    position = start
    end = start + length
    while position < end:
        offset = position % PATTERN_PERIOD
        piece = PATTERN[offset:offset + min(end - position, len(PATTERN) - offset)]
        yield piece
        position += len(piece)


class Gate:
    def __init__(self):
        self.event = threading.Event()
        self.waiting = False
        self.stream = "unknown"


def gate_for(name):
    with STATE_LOCK:
        return GATES.setdefault(name, Gate())


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "prewarm-fixture/1"

    def log_message(self, format, *args):
        pass

    # Dispatch

    def do_GET(self):
        self.dispatch()

    def do_HEAD(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def dispatch(self):
        url = urlsplit(self.path)
        self.query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        parts = [part for part in url.path.split("/") if part]
        name = parts[0] if parts else ""
        handler = getattr(self, "handle_" + name.replace("-", "_"), None)
        try:
            if handler is None:
                self.send_json(404, {"message": "no endpoint " + url.path})
            else:
                handler(parts[1:])
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # Helpers

    def number(self, name, default):
        return int(self.query.get(name, default))

    def send_body(self, status, body, content_type="text/plain", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers:
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status, value, headers=()):
        self.send_body(status, json.dumps(value).encode(), "application/json", headers)

    def read_body_pieces(self):
        remaining = int(self.headers.get("Content-Length", "0"))
        while remaining > 0:
            piece = self.rfile.read(min(remaining, 256 * 1024))
            if not piece:
                raise ConnectionResetError("the client closed the connection in the middle of the body")
            remaining -= len(piece)
            yield piece

    def write_chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def client_gone(self, timeout):
        readable, _, _ = select.select([self.connection], [], [], timeout)
        if not readable:
            return False
        try:
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    # Endpoints

    def handle_ping(self, _):
        self.send_body(200, b"OK")

    def handle_bytes(self, parts):
        total = int(parts[0])
        start, end = 0, total - 1
        status = 200
        headers = [("Accept-Ranges", "bytes")]
        requested = self.headers.get("Range")
        if requested and self.query.get("ranges") != "0" and requested.startswith("bytes="):
            first, _, last = requested[len("bytes="):].partition("-")
            start = int(first)
            end = int(last) if last else total - 1
            if start >= total:
                self.send_body(416, b"", headers=[("Content-Range", "bytes */%d" % total)])
                return
            end = min(end, total - 1)
            status = 206
            headers.append(("Content-Range", "bytes %d-%d/%d" % (start, end, total)))
        length = end - start + 1
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(length))
        for key, value in headers:
            self.send_header(key, value)
        self.end_headers()
        if self.command == "HEAD":
            return
        for piece in pattern_bytes(start, length):
            self.wfile.write(piece)

    def handle_echo(self, _):
        body = b"".join(self.read_body_pieces())
        self.send_body(200, body, "application/octet-stream", [
            ("X-Request-Method", self.command),
            ("X-Request-Content-Type", self.headers.get("Content-Type", "")),
        ])

    def handle_digest(self, _):
        digest = hashlib.sha256()
        count = 0
        for piece in self.read_body_pieces():
            digest.update(piece)
            count += len(piece)
        self.send_json(200, {
            "bytes": count,
            "sha256": digest.hexdigest(),
            "method": self.command,
            "content_length": self.headers.get("Content-Length"),
            "expect": self.headers.get("Expect"),
        })

    def handle_status(self, parts):
        status = int(parts[0])
        self.send_json(status, {"message": "the fixture answers %d as asked" % status})

    def handle_status_echo(self, parts):
        status = int(parts[0])
        self.send_body(status, ("request target was " + self.path).encode())

    def handle_delay(self, _):
        time.sleep(self.number("ms", 100) / 1000)
        self.send_body(200, b"ok")

    def handle_hold(self, _):
        name = self.query.get("id", "")
        deadline = time.monotonic() + self.number("ms", 10000) / 1000
        with STATE_LOCK:
            HOLDS[name] = "holding"
        while time.monotonic() < deadline:
            if self.client_gone(0.05):
                with STATE_LOCK:
                    HOLDS[name] = "aborted"
                self.close_connection = True
                return
        with STATE_LOCK:
            HOLDS[name] = "completed"
        self.send_body(200, b"held")

    def handle_hold_status(self, _):
        with STATE_LOCK:
            state = HOLDS.get(self.query.get("id", ""), "unknown")
        self.send_json(200, {"state": state})

    def handle_stall(self, _):
        length = self.number("length", 1000)
        sent = self.number("send", 10)
        self.send_response(200)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.write(b"x" * sent)
        self.wfile.flush()
        deadline = time.monotonic() + self.number("ms", 10000) / 1000
        while time.monotonic() < deadline and not self.client_gone(0.05):
            pass
        self.close_connection = True

    def handle_ndjson(self, _):
        lines = self.number("lines", 5)
        gate_name = self.query.get("gate")
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        gate = gate_for(gate_name) if gate_name else Gate()
        gate.stream = "streaming"
        for index in range(lines):
            if index == 1 and gate_name:
                gate.waiting = True
                gate.event.wait(10)
                gate.waiting = False
                if self.client_gone(0.2):
                    gate.stream = "aborted"
                    self.close_connection = True
                    return
            self.write_chunk(json.dumps({"stream": "line %d\n" % index, "index": index}).encode() + b"\n")
        self.write_chunk(b"")
        gate.stream = "completed"

    def handle_ndjson_split(self, _):
        lines = self.number("lines", 5)
        piece = self.number("piece", 7)
        ending = b"\r\n" if self.query.get("crlf") == "1" else b"\n"
        body = b"".join(json.dumps({"index": index}).encode() + ending for index in range(lines))
        body += ending + b'{"index": %d}' % lines  # an empty line, and a last line with no line break
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for start in range(0, len(body), piece):
            self.write_chunk(body[start:start + piece])
        self.write_chunk(b"")

    def handle_release(self, _):
        gate = gate_for(self.query.get("id", ""))
        waiting = gate.waiting
        gate.event.set()
        self.send_json(200, {"waiting": waiting})

    def handle_gate_status(self, _):
        gate = gate_for(self.query.get("id", ""))
        self.send_json(200, {"waiting": gate.waiting, "stream": gate.stream})

    def handle_truncated(self, _):
        length = self.number("length", 1000)
        sent = self.number("send", 100)
        self.send_response(200)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        for piece in pattern_bytes(0, sent):
            self.wfile.write(piece)
        self.wfile.flush()
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def handle_cut_head(self, _):
        for _ in self.read_body_pieces():
            pass
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        self.wfile.flush()
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def handle_redirect(self, _):
        self.send_body(302, b"", headers=[("Location", self.query.get("to", "/ping"))])

    def handle_file(self, parts):
        name = self.query.get("id", "/".join(parts))
        requested = self.headers.get("Range")
        with STATE_LOCK:
            record = REQUESTS.setdefault(name, {"count": 0, "ranges": []})
            record["count"] += 1
            record["ranges"].append(requested)
            number = record["count"]
        faults = [fault for fault in self.query.get("faults", "").split(",") if fault]
        fault = faults[number - 1] if number <= len(faults) else "ok"
        if fault.isdigit():
            self.send_json(int(fault), {"message": "the fixture answers %s as asked" % fault})
            return
        path = os.path.join(ROOT, *parts)
        if not os.path.isfile(path):
            self.send_json(404, {"message": "no file " + "/".join(parts)})
            return
        total = os.path.getsize(path)
        start, end, status = 0, total - 1, 200
        headers = [("Accept-Ranges", "bytes")]
        if requested and self.query.get("ranges") != "0" and requested.startswith("bytes="):
            first, _, last = requested[len("bytes="):].partition("-")
            start = int(first)
            end = min(int(last) if last else total - 1, total - 1)
            if start >= total:
                self.send_body(416, b"", headers=[("Content-Range", "bytes */%d" % total)])
                return
            status = 206
            headers.append(("Content-Range", "bytes %d-%d/%d" % (start, end, total)))
        length = end - start + 1
        self.send_response(status)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", str(length))
        for key, value in headers:
            self.send_header(key, value)
        self.end_headers()
        limit = length // 2 if fault in ("truncate", "reset") else length
        slow = self.number("slow", 0) / 1000
        sent = 0
        with open(path, "rb") as source:
            source.seek(start)
            while sent < limit:
                piece = source.read(min(64 * 1024, limit - sent))
                if fault == "corrupt" and sent <= length // 2 < sent + len(piece):
                    middle = length // 2 - sent
                    piece = piece[:middle] + bytes([piece[middle] ^ 0xFF]) + piece[middle + 1:]
                if slow:
                    time.sleep(slow)
                self.wfile.write(piece)
                sent += len(piece)
        self.wfile.flush()
        if fault == "truncate":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif fault == "reset":
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()

    def handle_requests(self, _):
        with STATE_LOCK:
            record = REQUESTS.get(self.query.get("id", ""), {"count": 0, "ranges": []})
            self.send_json(200, record)

    def handle_headers(self, _):
        self.send_json(200, {key: value for key, value in self.headers.items()})


class TCPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    request_queue_size = 128

    def get_request(self):
        connection, _ = super().get_request()
        return connection, ("unix", 0)


def blackhole():
    """A listening socket whose accept queue is full: a new connection's SYN is dropped."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    for _ in range(3):
        filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        filler.setblocking(False)
        try:
            filler.connect(listener.getsockname())
        except BlockingIOError:
            pass
        fillers.append(filler)
    time.sleep(0.2)
    return listener, fillers


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--unix")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--blackhole", action="store_true")
    fixture_server.add_arguments(parser)
    parser.add_argument("--root", default=".")
    arguments = parser.parse_args()
    global ROOT
    ROOT = arguments.root
    fixture_server.stop_with_parent(arguments.lifetime)

    if arguments.unix:
        server = UnixServer(arguments.unix, Handler)
        where = arguments.unix
    else:
        server = TCPServer((fixture_server.ADDRESS, arguments.port), Handler)
        if arguments.tls_cert:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(arguments.tls_cert, arguments.tls_key)
            server.socket = context.wrap_socket(server.socket, server_side=True)
        where = str(server.server_address[1])
    keep = None
    announcements = []
    if arguments.blackhole:
        keep = blackhole()
        announcements.append(("BLACKHOLE", keep[0].getsockname()[1]))
    fixture_server.serve(server, announcements, listening=where)


if __name__ == "__main__":
    sys.exit(main())

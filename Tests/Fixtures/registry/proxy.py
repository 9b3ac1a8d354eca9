#!/usr/bin/env python3
"""A reverse proxy in front of a real registry, for RegistryClient's tests. Standard library only.

Usage:
  proxy.py --upstream 127.0.0.1:PORT [--port 0] [options]

Listens on 127.0.0.1 and forwards every request to the registry at --upstream (which must need
no credentials), keeping the Host field so that the registry's Location fields name the proxy.
Prints `LISTENING <port>` once it accepts connections. It exits on SIGTERM, when its parent goes
away, or after --lifetime seconds.

Options:
  --bearer               a token service in front of the registry, as public.ecr.aws has: a /v2/
                         request without a valid `Authorization: Bearer` gets 401 with
                         `WWW-Authenticate: Bearer realm="http://127.0.0.1:PORT/token",service=
                         "prewarm-test",scope="repository:<repo>:<pull|pull,push>"`; GET /token
                         issues a token for the `scope` parameters asked (anonymously, unless
                         --bearer-user), and a token allows only its scopes.
  --bearer-user U:P      GET /token needs `Authorization: Basic` of U:P (else 401), as a private
                         registry's token service does.
  --refresh-token T      POST /token (OAuth2 form: grant_type=refresh_token, refresh_token, service,
                         scope, client_id) issues tokens for refresh token T, as for a config.json
                         `identitytoken`; GET /token is then refused (401).
  --blob-500 N           the first N GET requests for blobs answer 500.
  --upload-500 N         the first N PUT requests that complete an upload answer 500.
  --truncate-blob N      the first N GET requests for blobs announce the whole length, send half
                         and close the connection.
  --corrupt-blob         every GET of a blob has its first byte changed (same length).
  --manifest-digest-lie  every manifest answer carries a Docker-Content-Digest of other content.
  --relative-location    Location fields are sent as a path (/v2/...), without scheme and host.

Endpoints of its own:
  GET /_stats            {"GET blob": n, "HEAD blob": n, "POST upload": n, "PUT upload": n,
                          "PATCH upload": n, "GET manifest": n, "PUT manifest": n, "GET token": n, ...}
                         counting every request received, faulted or not, and "mount": n for POSTs
                         with a mount parameter.
"""
import argparse
import base64
import http.client
import json
import os
import re
import secrets
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import fixture_server  # noqa: E402

V2_PATH = re.compile(r"^/v2/(?P<repo>.+?)/(?P<kind>blobs/uploads|blobs|manifests)(?:/|$)")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization"}


class State:
    def __init__(self, options):
        self.options = options
        self.lock = threading.Lock()
        self.stats = {}
        self.tokens = {}  # token -> set of scopes
        self.blob_500_left = options.blob_500
        self.truncate_left = options.truncate_blob
        self.upload_500_left = options.upload_500

    def count(self, key):
        with self.lock:
            self.stats[key] = self.stats.get(key, 0) + 1

    def take(self, name):
        with self.lock:
            left = getattr(self, name)
            if left > 0:
                setattr(self, name, left - 1)
                return True
            return False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "prewarm-registry-proxy"

    def log_message(self, *_):
        pass

    def do_GET(self):
        self.handle_any()

    def do_HEAD(self):
        self.handle_any()

    def do_POST(self):
        self.handle_any()

    def do_PUT(self):
        self.handle_any()

    def do_PATCH(self):
        self.handle_any()

    def do_DELETE(self):
        self.handle_any()

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        state = self.server.state
        options = state.options
        url = urlsplit(self.path)
        body = self.read_body()
        if url.path == "/_stats":
            return self.send(200, json.dumps(state.stats).encode(), [("Content-Type", "application/json")])
        if url.path == "/token":
            state.count("%s token" % self.command)
            return self.token(url, body)
        match = V2_PATH.match(url.path)
        kind = {"blobs/uploads": "upload", "blobs": "blob", "manifests": "manifest"}[match["kind"]] if match else "other"
        state.count("%s %s" % (self.command, kind))
        if kind == "upload" and self.command == "POST" and "mount" in parse_qs(url.query):
            state.count("mount")
        if options.bearer and url.path.startswith("/v2/"):
            needed = None
            if match:
                action = "pull" if self.command in ("GET", "HEAD") else "pull,push"
                needed = "repository:%s:%s" % (match["repo"], action)
            if not self.authorized(needed):
                challenge = 'Bearer realm="http://127.0.0.1:%d/token",service="prewarm-test"' % self.server.server_address[1]
                if needed:
                    challenge += ',scope="%s"' % needed
                error = {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}
                return self.send(401, json.dumps(error).encode(), [("WWW-Authenticate", challenge), ("Content-Type", "application/json")])
        if kind == "blob" and self.command == "GET" and state.take("blob_500_left"):
            return self.send(500, b'{"errors":[{"code":"UNKNOWN","message":"injected failure"}]}', [("Content-Type", "application/json")])
        if kind == "upload" and self.command == "PUT" and state.take("upload_500_left"):
            return self.send(500, b'{"errors":[{"code":"UNKNOWN","message":"injected failure"}]}', [("Content-Type", "application/json")])
        self.forward(url, kind, body)

    def authorized(self, needed):
        header = self.headers.get("Authorization") or ""
        if not header.startswith("Bearer "):
            return False
        with self.server.state.lock:
            scopes = self.server.state.tokens.get(header[len("Bearer "):])
        if scopes is None:
            return False
        if needed is None:
            return True
        repo, actions = needed.rsplit(":", 1)
        granted = set()
        for scope in scopes:
            scope_repo, _, scope_actions = scope.rpartition(":")
            if scope_repo == repo:
                granted.update(scope_actions.split(","))
        return set(actions.split(",")) <= granted

    def token(self, url, body):
        options = self.server.state.options
        error = json.dumps({"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]}).encode()
        if options.refresh_token:
            query = parse_qs(body.decode())
            valid = (
                self.command == "POST"
                and query.get("grant_type") == ["refresh_token"]
                and query.get("refresh_token") == [options.refresh_token]
            )
            if not valid:
                return self.send(401, error, [("Content-Type", "application/json")])
        else:
            query = parse_qs(url.query)
        if options.bearer_user:
            expected = "Basic " + base64.b64encode(options.bearer_user.encode()).decode()
            if self.headers.get("Authorization") != expected:
                return self.send(401, error, [("Content-Type", "application/json")])
        scopes = set()
        for scope in query.get("scope", []):
            scopes.update(scope.split(" "))
        token = secrets.token_hex(16)
        with self.server.state.lock:
            self.server.state.tokens[token] = scopes
        answer = {"token": token, "access_token": token, "expires_in": 300}
        self.send(200, json.dumps(answer).encode(), [("Content-Type", "application/json")])

    def forward(self, url, kind, body):
        state = self.server.state
        options = state.options
        host, port = options.upstream.rsplit(":", 1)
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        headers = {}
        for name, value in self.headers.items():
            if name.lower() in HOP_BY_HOP or name.lower() in ("content-length", "authorization"):
                continue
            headers[name] = value
        headers["Content-Length"] = str(len(body))
        connection.request(self.command, self.path, body=body if body or self.command in ("POST", "PUT", "PATCH") else None, headers=headers)
        response = connection.getresponse()
        data = response.read() if self.command != "HEAD" else b""
        connection.close()
        is_blob_get = kind == "blob" and self.command == "GET" and response.status in (200, 206)
        if is_blob_get and options.corrupt_blob and data:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        truncate = is_blob_get and len(data) > 1 and state.take("truncate_left")
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() in HOP_BY_HOP or name.lower() == "content-length":
                continue
            if name.lower() == "docker-content-digest" and kind == "manifest" and options.manifest_digest_lie:
                value = "sha256:" + "0" * 64
            if name.lower() == "location" and options.relative_location:
                parts = urlsplit(value)
                value = parts.path + ("?" + parts.query if parts.query else "")
            self.send_header(name, value)
        if self.command == "HEAD":
            self.send_header("Content-Length", response.getheader("Content-Length") or "0")
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if truncate:
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.wfile.write(data)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--bearer", action="store_true")
    parser.add_argument("--bearer-user")
    parser.add_argument("--refresh-token")
    parser.add_argument("--blob-500", type=int, default=0)
    parser.add_argument("--truncate-blob", type=int, default=0)
    parser.add_argument("--upload-500", type=int, default=0)
    parser.add_argument("--corrupt-blob", action="store_true")
    parser.add_argument("--manifest-digest-lie", action="store_true")
    parser.add_argument("--relative-location", action="store_true")
    fixture_server.add_arguments(parser)
    arguments = parser.parse_args()
    fixture_server.stop_with_parent(arguments.lifetime)
    server = Server((fixture_server.ADDRESS, arguments.port), Handler)
    server.state = State(arguments)
    fixture_server.serve(server)


if __name__ == "__main__":
    sys.exit(main())

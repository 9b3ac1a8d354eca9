"""The Docker Engine API over a unix socket, with Python's standard library only.

Used by the fixture scripts in this directory; `Engine(host)` takes `unix:///path` (or a bare
path), as DOCKER_HOST spells it, and `call` returns the status and the whole body.
"""

import http.client
import json
import os
import socket
import sys

API = "/v1.41"


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.socket_path)


class Engine:
    def __init__(self, host, timeout=300):
        if not host:
            sys.exit("no engine: give --host unix:///path or set DOCKER_HOST")
        if host.startswith("unix://"):
            host = host[len("unix://"):]
        elif "://" in host:
            sys.exit("only unix:// engines are supported, not " + host)
        self.path = host
        self.timeout = timeout

    def call(self, method, url, body=None, headers=None):
        """`method API/url` with `body` (bytes, or a value sent as JSON); (status, body bytes)."""
        headers = dict(headers or {})
        if body is not None and not isinstance(body, (bytes, bytearray)):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        connection = _UnixConnection(self.path, self.timeout)
        try:
            connection.request(method, API + url, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()


def default_host():
    return os.environ.get("DOCKER_HOST", "")

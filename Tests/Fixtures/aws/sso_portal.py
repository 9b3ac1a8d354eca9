#!/usr/bin/env python3
"""A stand-in for the AWS SSO portal's GetRoleCredentials, for PrewarmAWS's tests.

Usage:
  sso_portal.py --port 0 --token TOKEN --account-id ACCOUNT --role-name ROLE
                --access-key-id AKID --secret-access-key SECRET [--session-token TOKEN]

Endpoint, as https://portal.sso.REGION.amazonaws.com answers it:
  GET /federation/credentials?role_name=ROLE&account_id=ACCOUNT with the header x-amz-sso_bearer_token:
      the given token gets 200 {"roleCredentials": {"accessKeyId", "secretAccessKey", "sessionToken",
      "expiration" (milliseconds since the epoch, an hour from now)}}; another or no token 401
      UnauthorizedException; another account or role 403 ForbiddenException.
  GET /_counts   {"calls": N, "refused": M}
It starts and stops as Tests/Fixtures/fixture_server.py says (`LISTENING <port>` on 127.0.0.1).
"""
import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import fixture_server  # noqa: E402

STATE = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format, *args):
        pass

    def do_GET(self):
        server = self.server
        url = urlsplit(self.path)
        if url.path == "/_counts":
            with STATE:
                return self.send_json(200, {"calls": server.calls, "refused": server.refused})
        if url.path != "/federation/credentials":
            return self.send_json(404, {"message": "no such path"})
        query = parse_qs(url.query)
        with STATE:
            server.calls += 1
        if self.headers.get("x-amz-sso_bearer_token") != server.arguments.token:
            with STATE:
                server.refused += 1
            return self.send_json(401, {"message": "Session token not found or invalid"}, "UnauthorizedException")
        if query.get("account_id") != [server.arguments.account_id] or query.get("role_name") != [
                server.arguments.role_name]:
            with STATE:
                server.refused += 1
            return self.send_json(403, {"message": "No access"}, "ForbiddenException")
        arguments = server.arguments
        credentials = {
            "accessKeyId": arguments.access_key_id, "secretAccessKey": arguments.secret_access_key,
            "expiration": int((time.time() + 3600) * 1000)}
        if arguments.session_token:
            credentials["sessionToken"] = arguments.session_token
        self.send_json(200, {"roleCredentials": credentials})

    def send_json(self, status, body, kind=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if kind:
            self.send_header("X-Amzn-ErrorType", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--token", required=True)
    parser.add_argument("--account-id", required=True)
    parser.add_argument("--role-name", required=True)
    parser.add_argument("--access-key-id", required=True)
    parser.add_argument("--secret-access-key", required=True)
    parser.add_argument("--session-token")
    fixture_server.add_arguments(parser)
    arguments = parser.parse_args()
    fixture_server.stop_with_parent(arguments.lifetime)
    server = ThreadingHTTPServer((fixture_server.ADDRESS, arguments.port), Handler)
    server.daemon_threads = True
    server.arguments = arguments
    server.calls = 0
    server.refused = 0
    fixture_server.serve(server)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A stand-in for Lambda's GetLayerVersion, for PrewarmAWS's tests. Needs botocore
(the python of .build-aws, made by `ci/services/moto install`, has it).

Usage:
  lambda_server.py --port 0 --s3-endpoint http://127.0.0.1:MOTO --layers layers.json
                   --access-key-id AKID --secret-access-key SECRET [--session-token TOKEN]

layers.json is a list of {"arn": "arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION", "zip": PATH,
"fail": [STATUS, ...], "wrong_sha256": BOOL} ("fail" and "wrong_sha256" optional). At start the server
puts each zip into moto's S3 (bucket prewarm-layers, key ACCOUNT/NAME/VERSION.zip), then resets and
starts moto's request recorder, so that every download of a layer from then on is recorded by moto itself.
It prints `LISTENING <port>` once it accepts connections on 127.0.0.1, and exits on SIGTERM, when its
parent goes away, or after --lifetime seconds.

Endpoints:
  GET /2018-10-31/layers/LAYER/versions/N   LAYER is the layer's ARN without the version (URL-encoded),
      or its name. The request's SigV4 signature (service lambda, the credentials given) is checked with
      botocore: a wrong or missing signature gets 403 InvalidSignatureException, an unknown access key
      403 UnrecognizedClientException, an unknown layer version 404 ResourceNotFoundException, as Lambda
      answers (X-Amzn-ErrorType and a JSON body). A layer's "fail" statuses are answered first, one per
      call, with a JSON error body. Otherwise 200 with Content.Location (a pre-signed GET URL of moto's
      S3, valid 10 minutes), Content.CodeSha256 (base64) and Content.CodeSize.
  GET /_counts   {"get_layer_version": {ARN: calls}, "downloads": {ARN: GETs of its zip at moto},
                  "rejected": requests refused for their signature or key}
      Every signed call to a known layer counts, the failed ones included. Downloads are the GET requests
      for the layer's key in moto's own request log, so a download resumed with Range counts again.
"""
import argparse
import base64
import datetime
import hashlib
import json
import os
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import fixture_server  # noqa: E402

BUCKET = "prewarm-layers"
STATE = threading.Lock()


class Layer:
    def __init__(self, arn, zip_path, fail, wrong_sha256=False):
        parts = arn.split(":")
        if len(parts) != 8:
            raise SystemExit("not a layer version ARN: " + arn)
        self.arn = arn
        self.layer_arn = ":".join(parts[:7])
        self.name = parts[6]
        self.version = int(parts[7])
        self.key = "%s/%s/%d.zip" % (parts[4], self.name, self.version)
        with open(zip_path, "rb") as handle:
            self.data = handle.read()
        stated = self.data + b"\0" if wrong_sha256 else self.data
        self.sha256 = base64.b64encode(hashlib.sha256(stated).digest()).decode()
        self.fail = list(fail or [])
        self.calls = 0


class SignedHeadersAuth(SigV4Auth):
    """botocore's SigV4 with exactly the header fields the client says it signed."""

    def __init__(self, credentials, service, region, signed):
        super().__init__(credentials, service, region)
        self.signed = signed

    def headers_to_sign(self, request):
        headers = super().headers_to_sign(request)
        for name in list(headers.keys()):
            if name not in self.signed:
                del headers[name]
        for name in self.signed:
            if name not in headers and name in request.headers:
                headers[name] = request.headers[name]
        return headers


def parse_authorization(value):
    """{"Credential": ..., "SignedHeaders": ..., "Signature": ...} of an AWS4-HMAC-SHA256 header, or None."""
    if not value or not value.startswith("AWS4-HMAC-SHA256 "):
        return None
    fields = {}
    for part in value[len("AWS4-HMAC-SHA256 "):].split(","):
        key, _, item = part.strip().partition("=")
        fields[key] = item
    if not all(key in fields for key in ("Credential", "SignedHeaders", "Signature")):
        return None
    return fields


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "prewarm-lambda-fixture/1"

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        path = urlsplit(self.path).path
        if path == "/_counts":
            return self.send_json(200, self.server.counts())
        parts = path.split("/")
        # ['', '2018-10-31', 'layers', LAYER, 'versions', N]
        if len(parts) == 6 and parts[1] == "2018-10-31" and parts[2] == "layers" and parts[4] == "versions":
            return self.get_layer_version(unquote(parts[3]), parts[5])
        self.send_error_json(404, "UnknownOperationException", "no operation at " + path)

    def get_layer_version(self, layer_name, version):
        problem = self.server.check_signature(self)
        if problem:
            with STATE:
                self.server.rejected += 1
            return self.send_error_json(403, problem[0], problem[1])
        layer = self.server.find(layer_name, version)
        if layer is None:
            return self.send_error_json(
                404, "ResourceNotFoundException", "The resource you requested does not exist.")
        with STATE:
            layer.calls += 1
            status = layer.fail.pop(0) if layer.fail else None
        if status is not None:
            kind = "TooManyRequestsException" if status == 429 else "ServiceException"
            return self.send_error_json(status, kind, "injected failure %d" % status)
        location = self.server.s3.generate_presigned_url(
            "get_object", Params={"Bucket": BUCKET, "Key": layer.key}, ExpiresIn=600)
        self.send_json(200, {
            "Content": {
                "Location": location,
                "CodeSha256": layer.sha256,
                "CodeSize": len(layer.data),
            },
            "LayerArn": layer.layer_arn,
            "LayerVersionArn": layer.arn,
            "Description": "",
            "CreatedDate": "2025-01-01T00:00:00.000+0000",
            "Version": layer.version,
            "CompatibleRuntimes": [],
        })

    def send_error_json(self, status, kind, message):
        self.send_json(status, {"Type": "User", "message": message}, {"X-Amzn-ErrorType": kind})

    def send_json(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class LambdaServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, arguments):
        super().__init__(address, Handler)
        self.s3_endpoint = arguments.s3_endpoint.rstrip("/")
        self.access_key_id = arguments.access_key_id
        self.credentials = Credentials(
            arguments.access_key_id, arguments.secret_access_key, arguments.session_token)
        with open(arguments.layers) as handle:
            self.layers = [
                Layer(item["arn"], item["zip"], item.get("fail"), item.get("wrong_sha256", False))
                for item in json.load(handle)]
        self.rejected = 0
        session = botocore.session.Session()
        self.s3 = session.create_client(
            "s3", region_name="us-east-1", endpoint_url=self.s3_endpoint,
            aws_access_key_id=arguments.access_key_id, aws_secret_access_key=arguments.secret_access_key,
            config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"))
        self.upload()

    def upload(self):
        try:
            self.s3.create_bucket(Bucket=BUCKET)
        except self.s3.exceptions.BucketAlreadyOwnedByYou:
            pass
        for layer in self.layers:
            self.s3.put_object(Bucket=BUCKET, Key=layer.key, Body=layer.data)
        self.moto("reset-recording")
        self.moto("start-recording")

    def moto(self, action):
        request = urllib.request.Request(
            self.s3_endpoint + "/moto-api/recorder/" + action, data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read()

    def find(self, layer_name, version):
        for layer in self.layers:
            if str(layer.version) == version and layer_name in (layer.layer_arn, layer.name):
                return layer
        return None

    def check_signature(self, handler):
        """None when the request is signed by our credentials; else (error type, message)."""
        fields = parse_authorization(handler.headers.get("Authorization"))
        if fields is None:
            return ("MissingAuthenticationTokenException", "Missing Authentication Token")
        scope = fields["Credential"].split("/")
        if len(scope) != 5 or scope[4] != "aws4_request":
            return ("IncompleteSignatureException", "malformed credential scope")
        access_key, day, region, service = scope[:4]
        if access_key != self.access_key_id:
            return ("UnrecognizedClientException", "The security token included in the request is invalid.")
        if service != "lambda":
            return ("InvalidSignatureException", "Credential should be scoped to correct service: 'lambda'.")
        stamp = handler.headers.get("X-Amz-Date", "")
        if not stamp.startswith(day):
            return ("InvalidSignatureException", "Date in Credential scope does not match X-Amz-Date.")
        try:
            signed_at = datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            return ("InvalidSignatureException", "X-Amz-Date is not a valid timestamp")
        if abs((datetime.datetime.now(datetime.timezone.utc) - signed_at).total_seconds()) > 300:
            return ("InvalidSignatureException", "Signature expired: " + stamp)
        token = handler.headers.get("X-Amz-Security-Token")
        if self.credentials.token is not None and token != self.credentials.token:
            return ("UnrecognizedClientException", "The security token included in the request is invalid.")
        signed = fields["SignedHeaders"].split(";")
        if "host" not in signed or "x-amz-date" not in signed:
            return ("InvalidSignatureException", "host and x-amz-date must be signed")
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        request = AWSRequest(
            method=handler.command, url="http://%s%s" % (handler.headers.get("Host", ""), handler.path),
            data=body)
        for name in signed:
            values = handler.headers.get_all(name) or []
            for value in values:
                request.headers[name] = value
        request.context["timestamp"] = stamp
        auth = SignedHeadersAuth(self.credentials, service, region, set(signed))
        canonical = auth.canonical_request(request)
        expected = auth.signature(auth.string_to_sign(request, canonical), request)
        if expected != fields["Signature"]:
            return ("InvalidSignatureException",
                    "The request signature we calculated does not match the signature you provided. "
                    "Check your AWS Secret Access Key and signing method.")
        return None

    def counts(self):
        recording = self.moto_recording()
        downloads = {layer.arn: 0 for layer in self.layers}
        for entry in recording:
            if entry.get("method") != "GET":
                continue
            path = unquote(urlsplit(entry.get("url", "")).path)
            for layer in self.layers:
                if path == "/%s/%s" % (BUCKET, layer.key):
                    downloads[layer.arn] += 1
        with STATE:
            return {
                "get_layer_version": {layer.arn: layer.calls for layer in self.layers},
                "downloads": downloads,
                "rejected": self.rejected,
            }

    def moto_recording(self):
        with urllib.request.urlopen(self.s3_endpoint + "/moto-api/recorder/download-recording", timeout=10) as r:
            text = r.read().decode()
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--s3-endpoint", required=True)
    parser.add_argument("--layers", required=True)
    parser.add_argument("--access-key-id", required=True)
    parser.add_argument("--secret-access-key", required=True)
    parser.add_argument("--session-token")
    fixture_server.add_arguments(parser)
    arguments = parser.parse_args()
    fixture_server.stop_with_parent(arguments.lifetime)
    server = LambdaServer((fixture_server.ADDRESS, arguments.port), arguments)
    fixture_server.serve(server)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Signs requests with botocore's SigV4 (botocore.auth.SigV4Auth) at a fixed time, for comparison with
PrewarmAWS's signer.

Reads a JSON list on standard input, each item:
  {"method": "GET", "url": "https://host/path?query", "headers": [["Name", "value"], ...], "body": "text",
   "access_key_id": ..., "secret_access_key": ..., "session_token": null | ..., "region": ...,
   "service": ..., "timestamp": "YYYYMMDDTHHMMSSZ"}
and prints a JSON list with, for each: {"authorization": ..., "canonical_request": ...}.
"""
import json
import sys

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def sign(item):
    request = AWSRequest(method=item["method"], url=item["url"], data=item.get("body", "").encode())
    for name, value in item.get("headers", []):
        request.headers[name] = value  # appends: repeated names stay repeated
    request.context["timestamp"] = item["timestamp"]
    credentials = Credentials(item["access_key_id"], item["secret_access_key"], item.get("session_token"))
    auth = SigV4Auth(credentials, item["service"], item["region"])
    # add_auth without its clock: the same steps, dated by the item's timestamp.
    auth._modify_request_before_signing(request)
    canonical = auth.canonical_request(request)
    signature = auth.signature(auth.string_to_sign(request, canonical), request)
    auth._inject_signature_to_request(request, signature)
    return {"authorization": request.headers["Authorization"], "canonical_request": canonical}


def main():
    json.dump([sign(item) for item in json.load(sys.stdin)], sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Builds every function's image one after another the way SAM CLI 1.170 does: for each
function, in template order, write the build context (a tar holding the emulator and the
layers) and POST /build with SAM's Dockerfile (ADD the emulator, a RUN step that moves and
chmods it, ADD each layer, RUN cp for each further layer). Prints the total seconds of that
work (SAM's own start-up and template reading per invoke are not counted). The names come from `prewarm plan` (checked against SAM CLI's
own code in CI); images are tagged under a bench/ prefix so prewarm's own are left alone.

Usage: sam_style.py DOCKER_HOST APP_DIR"""
import http.client
import io
import json
import os
import socket
import subprocess
import sys
import tarfile
import time

host, app = sys.argv[1], sys.argv[2]
sock = host[len("unix://"):]


class Conn(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(sock)


prewarm = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], capture_output=True, text=True,
                         check=True).stdout.strip() + "/prewarm"
plan = json.loads(subprocess.run([prewarm, "plan", app + "/template.yaml", "--format", "json"],
                                 capture_output=True, text=True, check=True).stdout)
total = 0.0
for function in plan["functions"]:
    # Timed from here: SAM writes each function's build context (tar) itself, then builds.
    start = time.monotonic()
    arch = function["architecture"]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        lines = [f"FROM {function['baseImage']}", f"ADD aws-lambda-rie-{arch} /var/rapid/",
                 f"RUN mv /var/rapid/aws-lambda-rie-{arch} /var/rapid/aws-lambda-rie && chmod +x /var/rapid/aws-lambda-rie"]
        t.add(f"{app}/rie/aws-lambda-rie-{arch}", f"aws-lambda-rie-{arch}")
        for index, layer in enumerate(function["layers"]):
            t.add(f"{app}/layers/{layer.lower()}", layer)
            if index == 0:
                lines.append(f"ADD {layer} /opt")
            else:
                lines += [f"ADD {layer} /tmp/layer{index}", f"RUN cp -rf /tmp/layer{index}/. /opt/ && rm -rf /tmp/layer{index}"]
        dockerfile = ("\n".join(lines) + "\n").encode()
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        t.addfile(info, io.BytesIO(dockerfile))
    platform = "linux/amd64" if arch == "x86_64" else "linux/arm64"
    tag = "bench/" + function["image"].replace("/", "-")
    conn = Conn("localhost")
    conn.request("POST", f"/v1.41/build?t={tag}&platform={platform}&pull=0&rm=1&forcerm=1", body=buf.getvalue(),
                 headers={"Content-Type": "application/x-tar"})
    response = conn.getresponse()
    body = response.read().decode()
    if response.status != 200 or '"error"' in body:
        sys.exit(f"SAM-style build of {function['name']} failed: {body[-500:]}")
    total += time.monotonic() - start
print(f"{total:.2f}")

#!/usr/bin/env python3
"""Writes the OCI scale benchmark's app (issue 12): N functions, each with its own pair of small
template layers (so N distinct images), one runtime (python3.12, x86_64), a stand-in emulator,
and a tiny base image as a `docker save` tar (base.tar) to import, so that nothing is pulled.

Usage: app.py OUT_DIR N"""
import hashlib
import io
import json
import os
import sys
import tarfile

out, count = sys.argv[1], int(sys.argv[2])
os.makedirs(out + "/rie", exist_ok=True)
path = f"{out}/rie/aws-lambda-rie-x86_64"
with open(path, "wb") as f:
    f.write(b"#!/bin/sh\n# stand-in emulator\n" + os.urandom(64 << 10))
os.chmod(path, 0o755)

lines = ["Transform: AWS::Serverless-2016-10-31", "Globals:", "  Function:", "    Handler: app.handler",
         "    CodeUri: src/", "    Runtime: python3.12", "Resources:"]
for n in range(count):
    for side in ("a", "b"):
        directory = f"{out}/layers/{n}{side}/python"
        os.makedirs(directory, exist_ok=True)
        with open(f"{directory}/lib_{n}{side}.py", "w") as f:
            f.write(f"VALUE = {n!r}  # layer {side} of function {n}\n")
        lines += [f"  L{n}{side}:", "    Type: AWS::Serverless::LayerVersion",
                  f"    Properties: {{ContentUri: layers/{n}{side}}}"]
    lines += [f"  Fn{n}:", "    Type: AWS::Serverless::Function",
              f"    Properties: {{Layers: [!Ref L{n}a, !Ref L{n}b]}}"]
os.makedirs(out + "/src", exist_ok=True)
with open(out + "/src/app.py", "w") as f:
    f.write("def handler(event, context):\n    return event\n")
with open(out + "/template.yaml", "w") as f:
    f.write("\n".join(lines) + "\n")


def tar_bytes(members):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


# The base: one layer with one file, a configuration naming it, `docker save` form.
layer = tar_bytes([("var/task/.keep", b"")])
diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["app.handler"]},
                     "rootfs": {"type": "layers", "diff_ids": [diff_id]}, "history": []}).encode()
config_name = hashlib.sha256(config).hexdigest() + ".json"
manifest = json.dumps([{"Config": config_name, "RepoTags": ["public.ecr.aws/lambda/python:3.12-x86_64"],
                        "Layers": ["layer0/layer.tar"]}]).encode()
with open(out + "/base.tar", "wb") as f:
    f.write(tar_bytes([(config_name, config), ("layer0/layer.tar", layer), ("manifest.json", manifest)]))
print(out + "/template.yaml")

#!/usr/bin/env python3
"""Writes the OCI benchmark's app (issue 5): 50 functions, each a distinct image per
architecture (runtime x set of layers), sharing 5 template layers of 5 MB each, and a
stand-in emulator per architecture (1 MB of random bytes; it never runs).

Usage: app.py OUT_DIR"""
import os
import sys

out = sys.argv[1]
os.makedirs(out + "/rie", exist_ok=True)
for arch in ("x86_64", "arm64"):
    path = f"{out}/rie/aws-lambda-rie-{arch}"
    with open(path, "wb") as f:
        f.write(b"#!/bin/sh\n# stand-in emulator\n" + os.urandom(1 << 20))
    os.chmod(path, 0o755)
layers = [f"L{n}" for n in range(5)]
for layer in layers:
    # 5 MB: 20 files of 256 KB (random, so that nothing compresses it away).
    for n in range(20):
        path = f"{out}/layers/{layer.lower()}/python/{layer.lower()}_{n}.bin"
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(os.urandom(256 << 10))
runtimes = ["python3.12", "nodejs20.x", "provided.al2023"]
lines = ["Transform: AWS::Serverless-2016-10-31", "Globals:", "  Function:", "    Handler: app.handler",
         "    CodeUri: src/", "Resources:"]
for layer in layers:
    lines += [f"  {layer}:", "    Type: AWS::Serverless::LayerVersion",
              f"    Properties: {{ContentUri: layers/{layer.lower()}}}"]
for n in range(50):
    # (n mod 3, n mod 31) is distinct for every n < 93: 50 distinct (runtime, layer set) pairs.
    mask = n % 31 + 1
    refs = ", ".join(f"!Ref {layers[b]}" for b in range(5) if mask & (1 << b))
    lines += [f"  Fn{n}:", "    Type: AWS::Serverless::Function",
              f"    Properties: {{Runtime: {runtimes[n % 3]}, Layers: [{refs}]}}"]
with open(out + "/template.yaml", "w") as f:
    f.write("\n".join(lines) + "\n")
print(out + "/template.yaml")

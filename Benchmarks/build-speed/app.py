#!/usr/bin/env python3
"""Writes the build benchmark's app: 40 functions over 8 distinct images x 2 architectures
(python3.12, nodejs20.x, provided.al2023 with 0-2 of 3 shared template layers), a stand-in
emulator per architecture, and layer directories with a few hundred KB of files each.

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
for layer in ("Deps", "Utils", "Data"):
    for n in range(50):
        path = f"{out}/layers/{layer.lower()}/python/{layer.lower()}_{n}.py"
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(f"# {layer} {n}\n" + "x = 1\n" * 1000)
# 8 distinct images per architecture: (runtime, layers)
variants = [("python3.12", []), ("python3.12", ["Deps"]), ("python3.12", ["Deps", "Utils"]),
            ("nodejs20.x", []), ("nodejs20.x", ["Data"]), ("provided.al2023", []),
            ("provided.al2023", ["Utils"]), ("python3.12", ["Utils", "Data"])]
lines = ["Transform: AWS::Serverless-2016-10-31", "Globals:", "  Function:", "    Handler: app.handler",
         "    CodeUri: src/", "Resources:"]
for layer in ("Deps", "Utils", "Data"):
    lines += [f"  {layer}:", "    Type: AWS::Serverless::LayerVersion",
              f"    Properties: {{ContentUri: layers/{layer.lower()}}}"]
for n in range(40):
    runtime, layers = variants[n % 8]
    arch = "x86_64" if (n // 8) % 2 == 0 else "arm64"
    refs = ", ".join(f"!Ref {l}" for l in layers)
    lines += [f"  Fn{n}:", "    Type: AWS::Serverless::Function",
              f"    Properties: {{Runtime: {runtime}, Architectures: [{arch}], Layers: [{refs}]}}"]
with open(out + "/template.yaml", "w") as f:
    f.write("\n".join(lines) + "\n")
print(out + "/template.yaml")

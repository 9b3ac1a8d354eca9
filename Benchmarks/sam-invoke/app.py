"""Writes the sam-invoke benchmark's app into DIR: a 20-function template (python3.12 and
provided.al2023; no layers, layers by ARN, layers defined in the template), the handlers, the
layers (one of them large, as the layers users complain about), and a layer by ARN as SAM CLI
leaves it in its cache after downloading it (HOME/.aws-sam/layers-pkg/NAME-VERSION-HASH).

Usage: app.py DIR HOME BOOTSTRAP (a static bootstrap binary for the provided.al2023 functions)
"""
import hashlib
import os
import shutil
import sys

app, home, bootstrap = sys.argv[1:4]
os.makedirs(app, exist_ok=True)

ARN = "arn:aws:lambda:us-east-1:123456789012:layer:bench-shared:4"
functions = []  # (name, runtime, layers)
for i in range(1, 5):
    functions.append((f"Py{i}", "python3.12", []))
for i in range(5, 7):
    functions.append((f"Py{i}", "python3.12", [ARN]))
for i in range(7, 11):
    functions.append((f"Py{i}", "python3.12", ["!Ref LayerA"]))
for i in range(11, 13):
    functions.append((f"Py{i}", "python3.12", ["!Ref LayerA", "!Ref LayerB"]))
for i in range(13, 15):
    functions.append((f"Py{i}", "python3.12", [ARN, "!Ref LayerB"]))
for i in range(1, 4):
    functions.append((f"Custom{i}", "provided.al2023", []))
for i in range(4, 7):
    functions.append((f"Custom{i}", "provided.al2023", ["!Ref LayerC"]))
assert len(functions) == 20

lines = [
    'AWSTemplateFormatVersion: "2010-09-09"',
    "Transform: AWS::Serverless-2016-10-31",
    "Globals:",
    "  Function:",
    "    Timeout: 30",
    "Resources:",
]
for name, runtime, layers in functions:
    code = f"src/{name}"
    os.makedirs(f"{app}/{code}", exist_ok=True)
    lines += [f"  {name}:", "    Type: AWS::Serverless::Function", "    Properties:", f"      Runtime: {runtime}",
              f"      CodeUri: {code}/"]
    if runtime == "python3.12":
        lines.append("      Handler: app.handler")
        with open(f"{app}/{code}/app.py", "w") as f:
            f.write(f'def handler(event, context):\n    return {{"function": "{name}"}}\n')
    else:
        lines.append("      Handler: bootstrap")
        shutil.copy2(bootstrap, f"{app}/{code}/bootstrap")
    if layers:
        lines.append("      Layers:")
        lines += [f"        - {layer}" for layer in layers]
for layer in ["LayerA", "LayerB", "LayerC"]:
    lines += [f"  {layer}:", "    Type: AWS::Serverless::LayerVersion", "    Properties:",
              f"      ContentUri: layers/{layer}/"]
with open(f"{app}/template.yaml", "w") as f:
    f.write("\n".join(lines) + "\n")

# LayerA is large, as the layers users complain about (a scientific Python stack): 160 MiB in 3,200
# files of 50 KiB, in 40 packages.
for package in range(40):
    os.makedirs(f"{app}/layers/LayerA/python/pkg{package:02}", exist_ok=True)
    for i in range(80):
        with open(f"{app}/layers/LayerA/python/pkg{package:02}/mod{i:02}.bin", "wb") as f:
            f.write(hashlib.sha256(f"{package}-{i}".encode()).digest() * (50 * 1024 // 32))
os.makedirs(f"{app}/layers/LayerB/python", exist_ok=True)
with open(f"{app}/layers/LayerB/python/layer_b.py", "w") as f:
    f.write('WORD = "b"\n')
os.makedirs(f"{app}/layers/LayerC/provided", exist_ok=True)
with open(f"{app}/layers/LayerC/provided/greeting.txt", "w") as f:
    f.write("from-layer-c\n")

cached = f"{home}/.aws-sam/layers-pkg/bench-shared-4-{hashlib.sha256(ARN.encode()).hexdigest()[:10]}/python"
os.makedirs(cached, exist_ok=True)
with open(f"{cached}/shared.py", "w") as f:
    f.write('WORD = "shared"\n')
with open(f"{app}/functions.txt", "w") as f:
    f.write("\n".join(name for name, _, _ in functions) + "\n")

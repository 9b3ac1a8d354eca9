#!/usr/bin/env python3
"""Writes a seeded SAM template for Benchmarks/shard/run.sh and prints its path.

  generate.py DIR --kind clustered|uniform --functions N --layers L [--seed S]

clustered: "services" of 5-30 functions; each service owns some of the layers and each of its
functions uses 1-3 of them, and 10% of the functions also use a layer of another service.
uniform: each function uses 1-3 of all the layers, chosen at random.
Every function is python3.12 on x86_64, so an image is one distinct ordered list of layers.
Only the template is written: prewarm plan reads no layer content.
"""
import argparse
import os
import random

parser = argparse.ArgumentParser()
parser.add_argument("directory")
parser.add_argument("--kind", choices=["clustered", "uniform"], required=True)
parser.add_argument("--functions", type=int, required=True)
parser.add_argument("--layers", type=int, required=True)
parser.add_argument("--seed", type=int, default=1)
args = parser.parse_args()
rng = random.Random(args.seed)
layers = [f"Layer{i:04d}" for i in range(args.layers)]

uses = []
if args.kind == "uniform":
    for _ in range(args.functions):
        uses.append(rng.sample(layers, rng.randint(1, 3)))
else:
    # Services of 5-30 functions until there are enough; each owns a share of the layers in
    # proportion to its size (at least one).
    sizes = []
    while sum(sizes) < args.functions:
        sizes.append(min(rng.randint(5, 30), args.functions - sum(sizes)))
    owned, start = [], 0
    for index, size in enumerate(sizes):
        end = args.layers if index == len(sizes) - 1 else max(start + 1, round(args.layers * (sum(sizes[: index + 1]) / args.functions)))
        end = min(end, args.layers - (len(sizes) - index - 1)) if args.layers >= len(sizes) else end
        owned.append(layers[start:end] or [layers[start % args.layers]])
        start = min(end, args.layers - 1) if end < args.layers else end
    for index, size in enumerate(sizes):
        for _ in range(size):
            mine = rng.sample(owned[index], min(len(owned[index]), rng.randint(1, 3)))
            if len(sizes) > 1 and rng.random() < 0.10:
                other = rng.choice([i for i in range(len(sizes)) if i != index])
                mine.append(rng.choice(owned[other]))
            uses.append(mine)

os.makedirs(args.directory, exist_ok=True)
path = os.path.join(args.directory, "template.yaml")
with open(path, "w") as f:
    f.write("Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function: {Runtime: python3.12, Handler: app.handler}\nResources:\n")
    for layer in layers:
        f.write(f"  {layer}:\n    Type: AWS::Serverless::LayerVersion\n    Properties: {{ContentUri: layers/{layer}/}}\n")
    for index, chosen in enumerate(uses):
        refs = ", ".join(f"!Ref {layer}" for layer in chosen)
        f.write(f"  Fn{index:05d}:\n    Type: AWS::Serverless::Function\n    Properties: {{CodeUri: src/, Layers: [{refs}]}}\n")
print(path)

#!/usr/bin/env python3
"""Writes a large SAM template for the plan benchmark: by default 5,000 functions and 300
layers, spread over a root template and 3 nested stacks (AWS::Serverless::Application and
AWS::CloudFormation::Stack), with Globals, parameters passed down, intrinsics, layer ARNs
and layer Refs, every runtime and both architectures.

Usage: generate.py OUT_DIR [--functions N] [--layers N] [--stacks N]
"""
import argparse
import os

RUNTIMES = ["python3.12", "python3.13", "nodejs20.x", "nodejs22.x", "java21", "ruby3.3",
            "provided.al2023", "dotnet8", "python3.11", "java17"]


def stack_text(index, functions, layers, first_function, is_root, stacks):
    lines = [
        'AWSTemplateFormatVersion: "2010-09-09"',
        "Transform: AWS::Serverless-2016-10-31",
        f"Description: plan benchmark stack {index}",
        "Parameters:",
        "  Stage:",
        "    Type: String",
        "    Default: dev",
        "  SharedLayerVersion:",
        "    Type: String",
        '    Default: "7"',
        "Conditions:",
        "  IsProd: !Equals [!Ref Stage, prod]",
        "Globals:",
        "  Function:",
        "    Handler: app.handler",
        "    Timeout: 10",
        "    Layers:",
        '      - !Sub "arn:aws:lambda:${AWS::Region}:123456789012:layer:shared-${Stage}:${SharedLayerVersion}"',
        "Resources:",
    ]
    for layer in range(layers):
        lines += [
            f"  Layer{index}x{layer}:",
            "    Type: AWS::Serverless::LayerVersion",
            "    Properties:",
            f"      ContentUri: layers/stack{index}/layer{layer}/",
            "      CompatibleRuntimes: [python3.12, nodejs20.x]",
        ]
    for n in range(functions):
        number = first_function + n
        runtime = RUNTIMES[number % len(RUNTIMES)]
        arch = "arm64" if number % 3 == 0 else "x86_64"
        lines += [
            f"  Function{number}:",
            "    Type: AWS::Serverless::Function",
            "    Properties:",
            f"      CodeUri: src/function{number}/",
            f"      Runtime: {runtime}",
            f"      Architectures: [{arch}]",
            "      MemorySize: 256",
            "      Environment:",
            "        Variables:",
            "          STAGE: !Ref Stage",
            f"          TABLE: !Sub \"table-${{Stage}}-{number}\"",
        ]
        own = []
        if layers and number % 4 != 0:
            own.append(f"!Ref Layer{index}x{number % layers}")
        if number % 5 == 0:
            own.append(f'"arn:aws:lambda:us-east-1:123456789012:layer:extra{number % 50}:{1 + number % 3}"')
        if number % 7 == 0:
            own.append("!If [IsProd, !Ref AWS::NoValue, \"arn:aws:lambda:us-east-1:123456789012:layer:debug:1\"]")
        if own:
            lines.append("      Layers:")
            lines += [f"        - {item}" for item in own]
    if is_root:
        for child in range(1, stacks + 1):
            kind = "AWS::Serverless::Application" if child % 2 else "AWS::CloudFormation::Stack"
            key = "Location" if child % 2 else "TemplateURL"
            lines += [
                f"  Stack{child}:",
                f"    Type: {kind}",
                "    Properties:",
                f"      {key}: stacks/stack{child}.yaml",
                "      Parameters:",
                "        Stage: !Ref Stage",
                "        SharedLayerVersion: !Ref SharedLayerVersion",
            ]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--functions", type=int, default=5000)
    parser.add_argument("--layers", type=int, default=300)
    parser.add_argument("--stacks", type=int, default=3)
    args = parser.parse_args()
    parts = args.stacks + 1
    os.makedirs(os.path.join(args.out, "stacks"), exist_ok=True)
    first = 0
    for index in range(parts):
        functions = args.functions // parts + (1 if index < args.functions % parts else 0)
        layers = args.layers // parts + (1 if index < args.layers % parts else 0)
        path = os.path.join(args.out, "template.yaml" if index == 0 else f"stacks/stack{index}.yaml")
        with open(path, "w") as out:
            out.write(stack_text(index, functions, layers, first, index == 0, args.stacks))
        first += functions
    print(os.path.join(args.out, "template.yaml"))


if __name__ == "__main__":
    main()

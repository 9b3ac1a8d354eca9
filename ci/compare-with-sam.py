#!/usr/bin/env python3
"""Cross-checks `prewarm plan --format json` against AWS SAM CLI itself.

For each case (a template plus flags), it asks ci/sam-oracle.py (SAM CLI 1.170's own code)
and prewarm for the image name of every function and compares:
  * every function SAM gives an image must get exactly that image (and architecture) from prewarm;
  * every function SAM refuses or skips must get no image from prewarm (an error or a skip);
  * prewarm must give no image SAM does not.
A few deliberate differences are listed in DEVIATIONS with the reason (keyed by template and
function, and also by the exact flags when the key has a third item); they are checked too
(prewarm must report an error for them, so they cannot hide a regression).

Besides the fixtures it generates a template with every runtime on both architectures, with
and without layers, so that the whole naming table is compared with SAM, not with our reading
of it.

Usage: compare-with-sam.py PREWARM_BINARY SAM_PYTHON
Prints one line per case and a closing 'N passed, M failed' line; exits 1 on any difference.
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures", "sam")

# (template relative to FIXTURES or a generated path, extra flags shared by both tools[, environment for both])
CASES = [
    ("examples/hello/template.yaml", []),
    ("layers.yaml", []),
    ("globals.yaml", []),
    ("runtimes.yaml", []),
    ("images.yaml", []),
    ("images.yaml", ["--invoke-image", "TaggedImage=override/img:v2", "--invoke-image", "other/base:v1"]),
    ("intrinsics.yaml", []),
    ("intrinsics.yaml", ["--parameter-overrides", "Stage=prod Arch=arm64 PythonMinor=13 LayerVersion=6"]),
    ("skipped.yaml", []),
    ("cdk.template.json", []),
    ("cdk.template.json", ["--invoke-image", "HelloFunction=custom/python:1"]),
    ("nested/root.yaml", []),
    ("nested/root.yaml", [
        "--parameter-overrides", "Stage=prod ParameterKey=ChildRuntime,ParameterValue=python3.13",
        "--invoke-image", "AppChild/GrandChild/DeepImageFunction=by-path:1",
        "--invoke-image", "DeepImageFunction=by-logical-id:1",
    ]),
    ("errors/runtime-arch.yaml", []),
    ("errors/layer-arns.yaml", []),
    ("errors/nested-layer-param/parent.yaml", []),
    # Parameters with no value, where they decide an image and where they do not.
    ("unset-parameters/root.yaml", []),
    ("unset-parameters/root.yaml", ["--parameter-overrides", "MyRuntimeVersion=13 ImageUri=given/img:1 Owner=me"]),
    # Layers known only after deployment (Fn::GetAtt of a nested stack's output, Fn::ImportValue).
    ("deploy-time-layers/root.yaml", []),
    ("lambda-image-uri.yaml", []),
    # Code locations that cannot be evaluated: they do not decide the image.
    ("unevaluable-code.yaml", []),
    # AWS::LanguageExtensions: rejected as a whole without the switch, expanded with it.
    ("language-extensions.yaml", []),
    ("language-extensions.yaml", ["--language-extensions"]),
    ("language-extensions.yaml", ["--parameter-overrides", "Services=Billing"], {"SAM_CLI_ENABLE_LANGUAGE_EXTENSIONS": " Yes"}),
    ("GENERATED:all-runtimes", []),
    ("GENERATED:all-runtimes", ["--invoke-image", "zip-base/override:1"]),
]

# Functions where prewarm reports an error on purpose although SAM names an image.
DEVIATIONS = {
    # Only without --parameter-overrides: with a value for ImageUri, prewarm names the image as SAM does.
    ("unset-parameters/root.yaml", "ImageFromParameter", ()):
        "ImageUri is a parameter with no Default and no value: SAM looks for an image named after the parameter "
        "(ImageUri:rapid-x86_64), which is never the one meant; prewarm names the parameter and --parameter-overrides",
    ("nested/root.yaml", "AppChild/GrandChild/DeepFunction"):
        "two different layers share the logical id ChildLayer, so SAM gives two different images one name; "
        "prewarm cannot build both under it and says so",
}


def all_runtimes_template(directory):
    """Every runtime of SAM-COMPAT.md on both architectures, without layers, with an ARN and a Ref."""
    runtimes = (
        [f"nodejs{v}.x" for v in (16, 18, 20, 22, 24)] + [f"python3.{m}" for m in range(8, 15)]
        + ["ruby3.2", "ruby3.3", "ruby3.4", "ruby4.0", "java8.al2", "java8.al2023", "java11", "java11.al2023",
           "java17", "java17.al2023", "java21", "java25", "dotnet6", "dotnet8", "dotnet10", "provided.al2",
           "provided.al2023", "go1.x", "provided"]
    )
    lines = [
        'AWSTemplateFormatVersion: "2010-09-09"', "Transform: AWS::Serverless-2016-10-31",
        "Globals:", "  Function:", "    Handler: app.handler", "    CodeUri: src/",
        "Resources:", "  Tools:", "    Type: AWS::Serverless::LayerVersion", "    Properties:",
        "      ContentUri: layers/tools",
    ]
    for runtime in runtimes:
        for arch in ("x86_64", "arm64"):
            for variant, layers in (("Plain", None), ("Arn", '["arn:aws:lambda:eu-west-1:123456789012:layer:deps:12"]'),
                                    ("Ref", "[!Ref Tools, arn:aws:lambda:us-east-1:123456789012:layer:x_y-z:3]")):
                name = "".join(ch for ch in f"{runtime}{arch}{variant}" if ch.isalnum())
                lines += [f"  {name}:", "    Type: AWS::Serverless::Function", "    Properties:",
                          f"      Runtime: {runtime}", f"      Architectures: [{arch}]"]
                if layers:
                    lines.append(f"      Layers: {layers}")
    path = os.path.join(directory, "all-runtimes.yaml")
    with open(path, "w") as out:
        out.write("\n".join(lines) + "\n")
    return path


def run_json(command, environment=None):
    env = dict(os.environ)
    env.pop("SAM_CLI_ENABLE_LANGUAGE_EXTENSIONS", None)
    env.update(environment or {})
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    try:
        return result.returncode, json.loads(result.stdout)
    except json.JSONDecodeError:
        return result.returncode, {"error": f"no JSON (exit {result.returncode}): {result.stderr.strip()[-500:]}"}


def compare(case_name, flags, sam, prewarm):
    problems = []
    if "error" in sam and "functions" not in sam:
        if "functions" not in prewarm:
            return []  # both refuse the whole template
        return [f"SAM rejects the whole template: {sam['error']}"]
    sam_images = {}
    sam_refused = set(sam.get("skipped", []))
    for function in sam["functions"]:
        if "image" in function:
            sam_images[function["name"]] = (function["architecture"], function["image"])
        else:
            sam_refused.add(function["name"])
    ours = {}
    for function in prewarm.get("functions", []):
        ours.setdefault(function["name"], []).append((function["architecture"], function["image"]))
    our_failed = {item["name"] for item in prewarm.get("errors", [])} | {item["name"] for item in prewarm.get("skipped", [])}
    for name, expected in sam_images.items():
        deviation = DEVIATIONS.get((case_name, name)) or DEVIATIONS.get((case_name, name, tuple(flags)))
        if deviation:
            if name not in our_failed:
                problems.append(f"{name}: expected prewarm to report an error ({deviation})")
            continue
        if ours.get(name) != [expected]:
            problems.append(f"{name}: SAM {expected[1]} ({expected[0]}), prewarm {ours.get(name) or 'no image'}")
    for name in sam_refused:
        if name in ours:
            problems.append(f"{name}: SAM refuses or skips it, prewarm gives {ours[name]}")
    for name in ours:
        if name not in sam_images and name not in sam_refused:
            problems.append(f"{name}: prewarm gives {ours[name]}, SAM does not know the function")
    return problems


def main():
    prewarm, sam_python = sys.argv[1], sys.argv[2]
    oracle = os.path.join(ROOT, "ci", "sam-oracle.py")
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="prewarm-sam-") as scratch:
        generated = {"GENERATED:all-runtimes": all_runtimes_template(scratch)}
        for template, flags, *environment in CASES:
            environment = environment[0] if environment else {}
            if template in generated:
                path = generated[template]
            elif template.startswith("examples/"):
                path = os.path.join(ROOT, template)
            else:
                path = os.path.join(FIXTURES, template)
            name = template
            _, sam = run_json([sam_python, oracle, path] + flags, environment)
            _, ours = run_json([prewarm, "plan", path, "--format", "json"] + flags, environment)
            if "functions" not in ours and "functions" in sam:
                problems = [f"prewarm printed no plan: {ours.get('error')}"]
            else:
                problems = compare(name, flags, sam, ours)
            label = " ".join([f"{k}={v!r}" for k, v in environment.items()] + [name] + flags).strip()
            count = len(sam.get("functions", [])) + len(sam.get("skipped", []))
            if problems:
                failed += 1
                print(f"FAIL {label}")
                for problem in problems:
                    print(f"     {problem}")
            else:
                passed += 1
                print(f"ok   {label} ({count} functions agree with SAM CLI)")
    print(f"compare-with-sam: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

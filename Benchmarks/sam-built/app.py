"""Writes the sam-built benchmark's project: a SAM project as `sam build` expects it, and the wheels its
requirements.txt files name.

    python3 Benchmarks/sam-built/app.py PROJECT-DIR WHEEL-DIR

12 python3.11 functions, each with a GET endpoint (`/fN`):
  f1-f6    the BigDeps layer (BuildMethod: makefile; its Makefile writes DEPS_FILES files of
           DEPS_FILE_BYTES under python/bigdeps/, 85 MiB in 2,400 files by default);
  f7-f9    BigDeps and Helpers (BuildMethod: python3.11, a requirements.txt naming a local wheel);
  f10-f12  no layer, a requirements.txt of their own (the same local wheel).
Every handler answers {"function": NAME, ...} with a value that exists only after `sam build`.
"""

import base64
import hashlib
import os
import sys
import zipfile

FUNCTIONS = 12
DEPS_FILES = int(os.environ.get("DEPS_FILES", "2400"))
DEPS_FILE_BYTES = int(os.environ.get("DEPS_FILE_BYTES", str(36 * 1024)))

# The BigDeps layer's files: incompressible bytes (from SHA-256 in counter mode, so the same every run),
# as much as a real dependencies layer weighs.
DEPS_GENERATOR = '''import hashlib, os, sys
root, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(count):
    directory = os.path.join(root, "bigdeps", "part%02d" % (i % 40))
    os.makedirs(directory, exist_ok=True)
    block = b"".join(hashlib.sha256(b"%d-%d" % (i, j)).digest() for j in range((size + 31) // 32))[:size]
    with open(os.path.join(directory, "data%04d.bin" % i), "wb") as f:
        f.write(block)
with open(os.path.join(root, "bigdeps", "__init__.py"), "w") as f:
    f.write("FILES = %d\\n" % count)
'''

DEPS_MAKEFILE = """# `sam build` runs `make build-BigDeps` with ARTIFACTS_DIR set.
build-BigDeps:
\tmkdir -p "$(ARTIFACTS_DIR)/python"
\tpython3 generate.py "$(ARTIFACTS_DIR)/python" {count} {size}
"""

HANDLER = """import json
{imports}


def handler(event, context):
    body = {{"function": "{name}", {fields}}}
    return {{"statusCode": 200, "body": json.dumps(body)}}
"""


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def make_wheel(directory, name, version, code):
    info = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": code,
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: sam-built\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join(record + [f"{info}/RECORD,,"]) + "\n"
    os.makedirs(directory, exist_ok=True)
    with zipfile.ZipFile(os.path.join(directory, f"{name}-{version}-py3-none-any.whl"), "w") as wheel:
        for path, text in files.items():
            wheel.writestr(path, text)


def main(project, wheels):
    make_wheel(wheels, "pwhelpers", "2.0", 'WORD = "helper-from-a-wheel"\n')
    resources = []
    for n in range(1, FUNCTIONS + 1):
        name = f"F{n}"
        if n <= 6:
            layers, imports, fields = ["BigDeps"], "import bigdeps", '"files": bigdeps.FILES'
        elif n <= 9:
            layers = ["BigDeps", "Helpers"]
            imports, fields = "import bigdeps\nimport pwhelpers", '"files": bigdeps.FILES, "helper": pwhelpers.WORD'
        else:
            layers, imports, fields = [], "import pwhelpers", '"helper": pwhelpers.WORD'
            write(f"{project}/src/{name}/requirements.txt", "pwhelpers==2.0\n")
        write(f"{project}/src/{name}/app.py", HANDLER.format(imports=imports, name=name, fields=fields))
        layer_lines = "".join(f"        - !Ref {layer}\n" for layer in layers)
        resources.append(
            f"""  {name}:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      Handler: app.handler
      CodeUri: src/{name}/
{"      Layers:" + chr(10) + layer_lines if layers else ""}      Events:
        Get:
          Type: Api
          Properties:
            Path: /f{n}
            Method: get
"""
        )
    write(f"{project}/layers/bigdeps/Makefile", DEPS_MAKEFILE.format(count=DEPS_FILES, size=DEPS_FILE_BYTES))
    write(f"{project}/layers/bigdeps/generate.py", DEPS_GENERATOR)
    write(f"{project}/layers/helpers/requirements.txt", "pwhelpers==2.0\n")
    layers = """  BigDeps:
    Type: AWS::Serverless::LayerVersion
    Metadata:
      BuildMethod: makefile
    Properties:
      ContentUri: layers/bigdeps/
      CompatibleRuntimes: [python3.11]
  Helpers:
    Type: AWS::Serverless::LayerVersion
    Metadata:
      BuildMethod: python3.11
    Properties:
      ContentUri: layers/helpers/
      CompatibleRuntimes: [python3.11]
"""
    write(
        f"{project}/template.yaml",
        "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\n"
        + "Globals:\n  Function:\n    Timeout: 60\n    MemorySize: 256\nResources:\n"
        + "".join(resources)
        + layers,
    )
    write(f"{project}/samconfig.toml", "version = 0.1\n[default.local_invoke.parameters]\nskip_pull_image = true\n"
          + "[default.local_start_api.parameters]\nskip_pull_image = true\n")
    write(f"{project}/functions.txt", "".join(f"F{n}\n" for n in range(1, FUNCTIONS + 1)))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: app.py PROJECT-DIR WHEEL-DIR")
    main(sys.argv[1], sys.argv[2])

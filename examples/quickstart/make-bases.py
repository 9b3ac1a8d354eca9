#!/usr/bin/env python3
"""Writes bases/: an OCI image layout with two small stand-ins for the Lambda Python 3.12
base images (x86_64 and arm64), named as prewarm and SAM CLI look for them:
public.ecr.aws/lambda/python:3.12-x86_64 and public.ecr.aws/lambda/python:3.12-arm64.

They hold a marker file and the directories a Lambda image has (/var/task, /var/runtime,
/opt), not Python, and carry the label dev.prewarm.stand-in (the layers are those of earlier
versions, which had no label: prewarm recognises those by the layers' diff IDs): enough to build and inspect the quickstart's images with no network, not
to run a function. The output is the same bytes on every run (fixed times, owners, order), so
the committed bases/ can be checked with `python3 make-bases.py && git diff --exit-code`.
Run it only to change the stand-ins; the quickstart uses the committed copy.
"""
import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "bases")
NAME = "public.ecr.aws/lambda/python:3.12-{arch}"
MARKER = (
    "A stand-in for the AWS Lambda Python 3.12 base image ({arch}), made by prewarm's\n"
    "examples/quickstart/make-bases.py. It has no Python and cannot run a function.\n"
)


def blob(data):
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(OUT, "blobs", "sha256", digest)
    with open(path, "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


def layer(arch):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for directory in ["etc", "opt", "var", "var/runtime", "var/task"]:
            info = tarfile.TarInfo(directory)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
            tar.addfile(info)
        text = MARKER.format(arch=arch).encode()
        info = tarfile.TarInfo("etc/prewarm-quickstart-base")
        info.size, info.mode, info.mtime = len(text), 0o644, 0
        tar.addfile(info, io.BytesIO(text))
    uncompressed = raw.getvalue()
    compressed = io.BytesIO()
    with gzip.GzipFile(fileobj=compressed, mode="wb", mtime=0, compresslevel=9) as z:
        z.write(uncompressed)
    return compressed.getvalue(), "sha256:" + hashlib.sha256(uncompressed).hexdigest()


def image(arch):
    oci_arch = {"x86_64": "amd64", "arm64": "arm64"}[arch]
    layer_bytes, diff_id = layer(arch)
    config = {
        "architecture": oci_arch,
        "os": "linux",
        "config": {
            "Env": [
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "LANG=en_US.UTF-8",
                "TZ=:/etc/localtime",
                "LAMBDA_TASK_ROOT=/var/task",
                "LAMBDA_RUNTIME_DIR=/var/runtime",
            ],
            "Entrypoint": ["/lambda-entrypoint.sh"],
            "WorkingDir": "/var/task",
            # Marks a stand-in: prewarm never builds a template that does not bring these bases on them,
            # and every image built on one inherits the label.
            "Labels": {"dev.prewarm.stand-in": "prewarm examples/quickstart: no Python, cannot run a handler"},
        },
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created_by": "examples/quickstart/make-bases.py (a stand-in base image)"}],
    }
    config_descriptor = blob(json.dumps(config, sort_keys=True, separators=(",", ":")).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config_descriptor},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **blob(layer_bytes)}],
    }
    descriptor = blob(json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode())
    name = NAME.format(arch=arch)
    return {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        **descriptor,
        "platform": {"architecture": oci_arch, "os": "linux"},
        "annotations": {"io.containerd.image.name": name, "org.opencontainers.image.ref.name": name.split(":")[-1]},
    }


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(os.path.join(OUT, "blobs", "sha256"))
    with open(os.path.join(OUT, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [image("x86_64"), image("arm64")]}
    with open(os.path.join(OUT, "index.json"), "w") as f:
        json.dump(index, f, indent=2, sort_keys=True)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()

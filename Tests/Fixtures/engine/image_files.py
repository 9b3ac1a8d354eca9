"""Prints an image's file table and configuration as JSON, read through the Docker Engine API.

  image_files.py [--host unix:///path] [--config-only] IMAGE

The host defaults to DOCKER_HOST. The files are those of the image's merged filesystem as the
engine exports it: a container is created from the image (not started), exported, and removed.
The output is one JSON object:

  {"id": "sha256:…", "architecture": "amd64", "variant": "", "os": "linux",
   "config": {"Env": […], "Entrypoint": […], "Cmd": […], "WorkingDir": "…"},
   "layers": ["sha256:…", …],
   "files": {"var/rapid/aws-lambda-rie": {"type": "file", "mode": 493, "size": 52,
             "sha256": "…", "target": null, "text": "…"}, …}}

Paths are relative to the root, without `./` or a trailing `/`. `type` is file, directory,
symlink, hardlink or other; `mode` is the permission bits (with setuid, setgid, sticky);
`sha256` is set for regular files, `target` for links, and `text` for regular files of at most
64 KiB (decoded as UTF-8, bad bytes replaced). `layers` are the diff IDs of the image's layers,
base first (`RootFS.Layers`). With --config-only, `files` is empty.
When there is no such image it prints `null` and exits 0; any other failure exits non-zero.
"""

import argparse
import hashlib
import json
import os
import sys
import tarfile
import tempfile
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from engine_api import Engine, default_host  # noqa: E402

TEXT_LIMIT = 64 * 1024
CONFIG_FIELDS = ("Env", "Entrypoint", "Cmd", "WorkingDir")


def kind(member):
    if member.isfile():
        return "file"
    if member.isdir():
        return "directory"
    if member.issym():
        return "symlink"
    if member.islnk():
        return "hardlink"
    return "other"


def relative(name):
    while name.startswith("./"):
        name = name[2:]
    return name.strip("/")


def file_table(engine, image):
    status, data = engine.call("POST", "/containers/create", {"Image": image, "Cmd": ["true"]})
    if status != 201:
        sys.exit("cannot create a container of %s: %d %s" % (image, status, data[:300]))
    container = json.loads(data)["Id"]
    try:
        with tempfile.TemporaryFile() as export:
            status, data = engine.call("GET", "/containers/" + container + "/export")
            if status != 200:
                sys.exit("cannot export the container of %s: %d %s" % (image, status, data[:300]))
            export.write(data)
            del data
            export.seek(0)
            files = {}
            with tarfile.open(fileobj=export) as archive:
                for member in archive.getmembers():
                    name = relative(member.name)
                    if not name:
                        continue
                    entry = {
                        "type": kind(member),
                        "mode": member.mode & 0o7777,
                        "size": member.size if member.isfile() else 0,
                        "sha256": None,
                        "target": member.linkname if member.issym() or member.islnk() else None,
                    }
                    if member.isfile():
                        content = archive.extractfile(member).read()
                        entry["sha256"] = hashlib.sha256(content).hexdigest()
                        if len(content) <= TEXT_LIMIT:
                            entry["text"] = content.decode("utf-8", "replace")
                    files[name] = entry
            return files
    finally:
        engine.call("DELETE", "/containers/" + container + "?force=1")


def main():
    parser = argparse.ArgumentParser(description="an image's files and configuration as JSON")
    parser.add_argument("--host", default=default_host())
    parser.add_argument("--config-only", action="store_true")
    parser.add_argument("image")
    arguments = parser.parse_args()
    engine = Engine(arguments.host)

    status, data = engine.call("GET", "/images/" + urllib.parse.quote(arguments.image, safe="/:@") + "/json")
    if status == 404:
        print("null")
        return
    if status != 200:
        sys.exit("cannot inspect %s: %d %s" % (arguments.image, status, data[:300]))
    info = json.loads(data)
    config = info.get("Config") or {}
    result = {
        "id": info["Id"],
        "architecture": info.get("Architecture", ""),
        "variant": info.get("Variant", "") or "",
        "os": info.get("Os", ""),
        "config": {field: config.get(field) for field in CONFIG_FIELDS},
        "layers": (info.get("RootFS") or {}).get("Layers") or [],
        "files": {} if arguments.config_only else file_table(engine, arguments.image),
    }
    json.dump(result, sys.stdout, sort_keys=True)
    print()


if __name__ == "__main__":
    main()

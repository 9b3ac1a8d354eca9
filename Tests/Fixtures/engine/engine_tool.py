"""Small changes to a Docker-compatible engine's images, through the Engine API (stdlib only).

  engine_tool.py [--host unix:///path] tag SOURCE NAME:TAG     tags SOURCE as NAME:TAG
  engine_tool.py [--host unix:///path] remove [--force] IMAGE… removes tags; a missing one is no error
  engine_tool.py [--host unix:///path] onbuild-base NAME BASE MISSING
      builds NAME: FROM BASE plus an ONBUILD trigger that copies MISSING, which no context has

The host defaults to DOCKER_HOST. Exits non-zero, with the engine's answer, when a step fails.
"""

import argparse
import io
import json
import os
import sys
import tarfile
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from engine_api import Engine, default_host  # noqa: E402


def tag(engine, source, target):
    repository, tag = target.rsplit(":", 1)
    query = urllib.parse.urlencode({"repo": repository, "tag": tag})
    status, data = engine.call("POST", "/images/" + source + "/tag?" + query)
    if status != 201:
        sys.exit("cannot tag %s as %s: %d %s" % (source, target, status, data[:300]))


def remove(engine, images, force):
    for image in images:
        url = "/images/" + urllib.parse.quote(image, safe="/:@") + ("?force=1" if force else "")
        status, data = engine.call("DELETE", url)
        if status not in (200, 404):
            sys.exit("cannot remove %s: %d %s" % (image, status, data[:300]))


def onbuild_base(engine, name, base, missing):
    dockerfile = ("FROM %s\nONBUILD COPY %s /x\n" % (base, missing)).encode()
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as archive:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        archive.addfile(info, io.BytesIO(dockerfile))
    query = urllib.parse.urlencode({"t": name, "pull": "0", "rm": "1", "forcerm": "1"})
    status, data = engine.call(
        "POST", "/build?" + query, context.getvalue(), {"Content-Type": "application/x-tar"})
    failed = [line for line in data.splitlines() if b'"error' in line]
    if status != 200 or failed:
        sys.exit("cannot build %s: %d %s" % (name, status, data[-600:]))
    status, data = engine.call("GET", "/images/" + name + "/json")
    if status != 200:
        sys.exit("built %s, but the engine has no such image: %d %s" % (name, status, data[:300]))


def main():
    parser = argparse.ArgumentParser(description="tag, remove or make images in an engine")
    parser.add_argument("--host", default=default_host())
    commands = parser.add_subparsers(dest="command", required=True)
    tagging = commands.add_parser("tag")
    tagging.add_argument("source")
    tagging.add_argument("target")
    removing = commands.add_parser("remove")
    removing.add_argument("--force", action="store_true")
    removing.add_argument("images", nargs="*")
    making = commands.add_parser("onbuild-base")
    making.add_argument("name")
    making.add_argument("base")
    making.add_argument("missing")
    arguments = parser.parse_args()
    engine = Engine(arguments.host)
    if arguments.command == "tag":
        tag(engine, arguments.source, arguments.target)
    elif arguments.command == "remove":
        remove(engine, arguments.images, arguments.force)
    else:
        onbuild_base(engine, arguments.name, arguments.base, arguments.missing)


if __name__ == "__main__":
    main()

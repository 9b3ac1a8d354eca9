#!/usr/bin/env python3
"""Writes the layer zips of PrewarmImage's tests, good and hostile. Standard library only.

Usage: make.py OUT_DIR [NAME ...]     (all of them when no NAME is given)

  good.zip          modes 0755 / 0644 / 04755 (setuid, to be stripped), nested and read-only
                    directories, links that stay inside, a stored 1 MiB file
  traversal.zip     ../../x
  absolute.zip      /etc/x
  dotdot-middle.zip a/../../x
  backslash.zip     ..\\..\\x
  nul.zip           a<NUL>b
  link-root.zip     evil -> /
  link-root-write.zip  a -> /, then a/etc/x
  link-through.zip  sub/, a -> sub, then a/x (written through a link that stays inside)
  link-escape.zip   a/b -> ../../x
  bomb.zip          60 MiB of zeros in about 60 KiB
  liar.zip          bomb.zip whose headers declare 1000 bytes
  claims-12g.zip    three small entries whose central directory claims 4 GiB each
  layer-TAG.zip     a well-behaved layer named by TAG (letters, digits, '-'): python/TAG.py, bin/TAG
                    (0755) and shared.txt ("from TAG"), for the command line's tests
  big-TAG.zip       layer-TAG.zip plus data/zeros.bin, 2 MiB of zeros (a few KiB in the zip)
"""
import io
import os
import random
import stat
import struct
import sys
import zipfile

UNIX = 3


def entry(name, mode, kind=stat.S_IFREG):
    info = zipfile.ZipInfo(name)
    info.create_system = UNIX
    info.external_attr = (kind | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def write(path, entries):
    with zipfile.ZipFile(path, "w") as archive:
        for info, data in entries:
            archive.writestr(info, data)


def link(name, target):
    return entry(name, 0o777, stat.S_IFLNK), target


def plain(name, data=b"x"):
    return entry(name, 0o644), data


def good(path):
    stored = entry("data/blob.bin", 0o644)
    stored.compress_type = zipfile.ZIP_STORED
    write(path, [
        (entry("bin/", 0o755, stat.S_IFDIR), b""),
        (entry("bin/tool", 0o755), b"#!/bin/sh\necho hi\n"),
        (entry("bin/suid", 0o4755), b"setuid"),
        (entry("python/lib/mod.py", 0o644), b"print('hi')\n"),
        (entry("lib/v1/libx.so", 0o644), b"\x7fELF"),
        link("lib/current", "v1"),
        link("python/tool", "../bin/tool"),
        (entry("ro/", 0o555, stat.S_IFDIR), b""),
        (entry("ro/f", 0o444), b"read only"),
        (stored, random.Random(1).randbytes(1 << 20)),
    ])


def single(name):
    return lambda path: write(path, [plain(name)])


def nul(path):
    info = entry("ab", 0o644)
    info.filename = "a\0b"  # ZipInfo() cuts a name at NUL; set it afterwards
    write(path, [(info, b"x")])


def bomb_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open(entry("zeros", 0o644), "w") as target:
            block = bytes(1 << 20)
            for _ in range(60):
                target.write(block)
    return bytearray(buffer.getvalue())


def patch_sizes(data, central_size=None, local_size=None):
    """Rewrites the uncompressed size of every central (and local) header."""
    position = data.find(b"PK\x01\x02")
    while position >= 0:
        if central_size is not None:
            struct.pack_into("<I", data, position + 24, central_size)
        position = data.find(b"PK\x01\x02", position + 4)
    position = data.find(b"PK\x03\x04")
    while position >= 0 and local_size is not None:
        struct.pack_into("<I", data, position + 22, local_size)
        position = data.find(b"PK\x03\x04", position + 4)
    return data


def bomb(path):
    with open(path, "wb") as out:
        out.write(bomb_bytes())


def liar(path):
    with open(path, "wb") as out:
        out.write(patch_sizes(bomb_bytes(), central_size=1000, local_size=1000))


def claims_12g(path):
    buffer = io.BytesIO()
    write(buffer, [plain("a"), plain("b"), plain("c")])
    with open(path, "wb") as out:
        out.write(patch_sizes(bytearray(buffer.getvalue()), central_size=0xFFFFFFFE))


MAKERS = {
    "good.zip": good,
    "traversal.zip": single("../../x"),
    "absolute.zip": single("/etc/x"),
    "dotdot-middle.zip": single("a/../../x"),
    "backslash.zip": single("..\\..\\x"),
    "nul.zip": nul,
    "link-root.zip": lambda path: write(path, [link("evil", "/")]),
    "link-root-write.zip": lambda path: write(path, [link("a", "/"), plain("a/etc/x")]),
    "link-through.zip": lambda path: write(
        path, [(entry("sub/", 0o755, stat.S_IFDIR), b""), link("a", "sub"), plain("a/x")]),
    "link-escape.zip": lambda path: write(path, [link("a/b", "../../x")]),
    "bomb.zip": bomb,
    "liar.zip": liar,
    "claims-12g.zip": claims_12g,
}


def layer(tag, extra=()):
    return lambda path: write(path, [
        (entry("python/", 0o755, stat.S_IFDIR), b""),
        (entry("python/%s.py" % tag, 0o644), ("name = '%s'\n" % tag).encode()),
        (entry("bin/", 0o755, stat.S_IFDIR), b""),
        (entry("bin/" + tag, 0o755), ("#!/bin/sh\necho %s\n" % tag).encode()),
        (entry("shared.txt", 0o644), ("from %s\n" % tag).encode()),
    ] + list(extra))


def maker(name):
    for prefix, extra in (("layer-", ()), ("big-", [(entry("data/zeros.bin", 0o644), bytes(2 << 20))])):
        if name.startswith(prefix) and name.endswith(".zip"):
            return layer(name[len(prefix):-len(".zip")], extra)
    return MAKERS[name]


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name in sys.argv[2:] or sorted(MAKERS):
        maker(name)(os.path.join(out, name))


if __name__ == "__main__":
    main()

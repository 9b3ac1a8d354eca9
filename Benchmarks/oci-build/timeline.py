#!/usr/bin/env python3
"""Runs a `prewarm build ... --progress json` command and prints its figures on one line:
wall time, when the first image finished, the mean time per image after the first (from the
arrival times of the `finished` events of images), and the summary's counts.

Usage: timeline.py LABEL -- COMMAND...   (the command's standard error is passed through)"""
import json
import subprocess
import sys
import time

label, command = sys.argv[1], sys.argv[sys.argv.index("--") + 1:]
began = time.monotonic()
finished, summary = [], {}
with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, bufsize=1) as process:
    for line in process.stdout:
        now = time.monotonic() - began
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == "finished" and event.get("kind") == "image":
            finished.append(now)
        elif event.get("event") == "summary":
            summary = event
total = time.monotonic() - began
after = (finished[-1] - finished[0]) / (len(finished) - 1) if len(finished) > 1 else 0
first = finished[0] if finished else 0
print(f"{label}: total {total * 1000:.1f} ms; images {len(finished)} (built {summary.get('built')}, "
      f"failed {summary.get('failed')}); first image at {first * 1000:.1f} ms; "
      f"per image after the first {after * 1000:.1f} ms")
sys.exit(process.returncode)

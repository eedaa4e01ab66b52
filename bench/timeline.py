#!/usr/bin/env python3
"""Runs a VM command and reports when marker lines appeared on its console.

usage: timeline.py TIMEOUT MARKER[,MARKER...] -- COMMAND...
Prints one JSON object: {"exit": rc, "total": s, "markers": {marker: s},
"cpu": {marker: host CPU seconds the VM process had used by then}, "values": {...}}
where "values" collects guest lines of the form "BENCH key value".
"""
import json
import os
import subprocess
import sys
import time


def cpu_seconds(pid):
    """user + system CPU time of a running process, from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def main():
    sep = sys.argv.index("--")
    timeout = float(sys.argv[1])
    markers = [m for m in sys.argv[2].split(",") if m]
    cmd = sys.argv[sep + 1:]
    start = time.monotonic()
    seen, values, cpu = {}, {}, {}
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    deadline = start + timeout
    for raw in proc.stdout:
        now = time.monotonic()
        line = raw.decode("utf-8", "replace").strip()
        for m in markers:
            if m not in seen and m in line:
                seen[m] = now - start
                cpu[m] = cpu_seconds(proc.pid)
        if line.startswith("BENCH "):
            parts = line.split()
            if len(parts) >= 3:
                values[parts[1]] = parts[2]
        if now > deadline:
            proc.kill()
            break
    rc = proc.wait()
    print(json.dumps({"exit": rc, "total": time.monotonic() - start, "markers": seen, "cpu": cpu,
                      "values": values}))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Runs a VM command and reports when marker lines appeared on its console.

usage: timeline.py TIMEOUT MARKER[,MARKER...] [--mem RAM_MIB] -- COMMAND...
Prints one JSON object: {"exit": rc, "total": s, "markers": {marker: s},
"cpu": {marker: host CPU seconds the VM process had used by then}, "values": {...},
"user": s, "sys": s} (the VM's CPU time in all)
where "values" collects guest lines of the form "BENCH key value". With --mem it also
samples the process's smaps every 50 ms (see smaps.py) and adds "mem": {"peak": bytes,
"last": bytes} of resident memory beyond the guest RAM, the largest seen and the last
sample before the process ended, and "ram_last": the guest RAM's resident bytes then.
"""
import json
import os
import subprocess
import sys
import threading
import time

import smaps


def cpu_seconds(pid):
    """CPU time a running process has used, all its threads: from schedstat (nanoseconds;
    /proc/PID/stat counts 10 ms clock ticks, too coarse for an idle guest's few ms per
    second), or from stat's user + system time where the kernel has no schedstat."""
    try:
        total = 0
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        return total / 1e9
    except (OSError, IndexError, ValueError):
        pass
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def watch_memory(pid, ram_bytes, done, out):
    """Samples until `done` is set; keeps the peak and the last sample that found the guest
    RAM (none before the VM maps it, nor while it exits)."""
    while True:
        got = smaps.sample(pid, ram_bytes)
        if got is not None:
            out["peak"] = max(out.get("peak", 0), got[1])
            out["last"], out["ram_last"] = got[1], got[0]
        if done.wait(0.05):
            return


def main():
    sep = sys.argv.index("--")
    timeout = float(sys.argv[1])
    markers = [m for m in sys.argv[2].split(",") if m]
    mem_mib = int(sys.argv[4]) if sys.argv[3:4] == ["--mem"] else None
    cmd = sys.argv[sep + 1:]
    start = time.monotonic()
    seen, values, cpu = {}, {}, {}
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    mem, done, watcher = {}, threading.Event(), None
    if mem_mib:
        watcher = threading.Thread(target=watch_memory,
                                   args=(proc.pid, mem_mib << 20, done, mem))
        watcher.start()
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
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = rc = os.waitstatus_to_exitcode(status)
    total = time.monotonic() - start
    if watcher:
        done.set()
        watcher.join()
    result = {"exit": rc, "total": total, "markers": seen, "cpu": cpu, "values": values,
              "user": usage.ru_utime, "sys": usage.ru_stime}
    if mem_mib:
        result["mem"] = mem
    print(json.dumps(result))


if __name__ == "__main__":
    main()

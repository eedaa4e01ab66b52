#!/usr/bin/env python3
"""Two kite builds side by side on the bench guests (boot to poweroff, and the cpu suite).

usage: bench/ab.py OLD_KITE NEW_KITE [--engine jit|interp] [--runs N]

Runs alternate between the two binaries. Besides wall time it reports the kite process's
own CPU time (user + sys, from wait4), which other load on a shared machine disturbs far
less than wall time: use it to tell whether an engine change made kite faster.
"""
import argparse
import importlib.util
import os
import statistics
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("bench_run", os.path.join(HERE, "run.py"))
bench_run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_run)


def one_run(cmd):
    """(wall seconds, CPU seconds, {BENCH name: value}) of one kite run."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    out = proc.stdout.read().decode(errors="replace")
    _, _, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    values = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] == "BENCH":
            try:
                values[parts[1]] = float(parts[2])
            except ValueError:
                pass
    return wall, usage.ru_utime + usage.ru_stime, values


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--engine", choices=("jit", "interp"))
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    paths = bench_run.guest_paths()
    bins = {"old": args.old, "new": args.new}
    with tempfile.TemporaryDirectory() as tmp:
        initrd = bench_run.make_initrd(paths["KITE_INITRD"], tmp, set())
        print(f"{'guest':6} {'kite':4} {'wall (s)':>9} {'CPU (s)':>8}  in-guest figures (s)")
        for test in ("noop", "cpu"):
            samples = {who: ([], [], {}) for who in bins}
            for i in range(args.runs):
                for who in (("old", "new") if i % 2 == 0 else ("new", "old")):
                    cmd = bench_run.commands(paths, initrd, bins[who], test,
                                             engine=args.engine)["kite"]
                    wall, cpu, values = one_run(cmd)
                    samples[who][0].append(wall)
                    samples[who][1].append(cpu)
                    for k, v in values.items():
                        samples[who][2].setdefault(k, []).append(v)
            for who in bins:
                walls, cpus, values = samples[who]
                extra = " ".join(f"{k} {statistics.median(v):.2f}" for k, v in values.items())
                print(f"{test:6} {who:4} {statistics.median(walls):9.2f} "
                      f"{statistics.median(cpus):8.2f}  {extra}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Where a kite run spends its time in translated code, block by block.

usage: bench/jit-profile.py [--top N] [--annotate PC] -- KITE_COMMAND...
e.g.   bench/jit-profile.py --top 10 -- build/kite run --bios build/bench/mips.elf

Runs the command under `perf record` (cpu-clock, so it works without hardware counters)
with KITE_JIT_DUMP set to a file, where kite describes every block it translates: its guest
instructions, its host bytes and where they sit in the code buffer. perf sees translated
code as offsets into the buffer's memfd, so each sample is mapped back to the block whose
bytes hold it (the newest one there, as regions are reused). Prints the share of samples
of kite's own functions and of the hottest blocks; with --annotate, the host code of the
block at guest address PC (hex) disassembled by objdump, with the share of the samples
that fell on each host instruction (cpu-clock samples skid: read them as "around here").
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

BLOCK = re.compile(r"jit: block at (\w+), (\d+) guest instructions, (\d+) bytes of host "
                   r"code at buffer offset 0x(\w+)")


def read_dump(path):
    """[(offset, size, guest pc, guest lines, host bytes)] in translation order."""
    blocks = []
    cur = None
    with open(path, errors="replace") as f:
        for line in f:
            m = BLOCK.match(line)
            if m:
                cur = [int(m.group(4), 16), int(m.group(3)), m.group(1), [], bytearray()]
                blocks.append(cur)
            elif cur and line.startswith("  guest "):
                cur[3].append(line.rstrip())
            elif cur and line.startswith("  host "):
                cur[4] += bytes(int(x, 16) for x in line.split(":", 1)[1].split())
            else:
                cur = None
    return blocks


def block_at(blocks, offset):
    """The newest block whose code covers `offset`."""
    for b in reversed(blocks):
        if b[0] <= offset < b[0] + b[1]:
            return b
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--annotate", metavar="PC")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        ap.error("no command")
    with tempfile.TemporaryDirectory() as tmp:
        data, dump = os.path.join(tmp, "perf.data"), os.path.join(tmp, "dump.txt")
        # To a file, buffered: a line-at-a-time dump would cost more than the run.
        env = dict(os.environ, KITE_JIT_DUMP=dump)
        subprocess.run(["perf", "record", "-q", "-F", "10000", "-o", data, "--"] + cmd,
                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        report = subprocess.run(["perf", "report", "-i", data, "--stdio", "--sort", "dso,sym",
                                 "-F", "overhead,dso,sym", "-t", "|"], capture_output=True,
                                text=True).stdout
        blocks = read_dump(dump)
    per_block = collections.Counter()
    per_offset = collections.Counter()
    other = collections.Counter()
    for line in report.splitlines():
        fields = [f.strip() for f in line.split("|")]
        if line.startswith("#") or len(fields) < 3 or not fields[0].endswith("%"):
            continue
        pct, dso, sym = float(fields[0][:-1]), fields[1], fields[2].split()[-1]
        if dso.startswith("memfd:kite-jit") and sym.startswith("0x"):
            off = int(sym, 16)
            b = block_at(blocks, off)
            if b:
                per_block[id(b)] += pct
                per_offset[(id(b), off - b[0])] += pct
            else:
                other["(translated code, block not found)"] += pct
        else:
            other[f"{dso} {sym}"] += pct
    by_id = {id(b): b for b in blocks}
    jit_total = sum(per_block.values())
    print(f"{len(blocks)} blocks translated; {jit_total:.1f}% of samples in translated code")
    print("hottest blocks (guest pc, instructions, host bytes):")
    for key, pct in per_block.most_common(args.top):
        b = by_id[key]
        print(f"  {pct:6.2f}%  {b[2]}  {len(b[3]):3} insns  {b[1]:5} bytes")
    print("elsewhere:")
    for name, pct in other.most_common(args.top):
        print(f"  {pct:6.2f}%  {name}")
    if args.annotate:
        want = int(args.annotate, 16)
        cands = [b for b in blocks if int(b[2], 16) == want]
        if not cands:
            sys.exit(f"no block at {args.annotate}")
        b = max(cands, key=lambda c: per_block[id(c)])
        print("\n".join(b[3]))
        with tempfile.NamedTemporaryFile(suffix=".bin") as f:
            f.write(bytes(b[4]))
            f.flush()
            dis = subprocess.run(["objdump", "-D", "-b", "binary", "-mi386:x86-64", "-M",
                                  "intel", f.name], capture_output=True, text=True).stdout
        for line in dis.split("<.data>:", 1)[-1].splitlines():
            m = re.match(r"\s+(\w+):", line)
            if m:
                print(f"{per_offset[(id(b), int(m.group(1), 16))]:6.2f} {line}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A VM process's resident memory beyond its guest RAM, read from /proc/PID/smaps.

usage: smaps.py PID RAM_MIB     (prints the split once, for a look by hand)

The guest RAM is the one mapping whose size is RAM_MIB (kite maps it exactly; QEMU may add
up to a few MiB of alignment), and its Rss is what the guest touched. Everything else the
process has resident is the emulator's own cost: heap, stacks, libraries, translated code.
A file mapped twice (kite's JIT code buffer has a writable and an executable view of one
memfd) is counted once, by the larger of its mappings' Rss: it is one set of pages.
"""
import re
import sys

_HEADER = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) \S+ ([0-9a-f]+) (\S+) (\d+)")


def sample(pid, ram_bytes):
    """(guest RAM Rss, other Rss) in bytes; None if the process is gone or unreadable or
    has no guest RAM mapping (not yet, or no longer while it exits)."""
    try:
        with open(f"/proc/{pid}/smaps") as f:
            text = f.read()
    except OSError:
        return None
    maps = []  # [size, offset, dev, inode, rss]
    for line in text.splitlines():
        m = _HEADER.match(line)
        if m:
            lo, hi = int(m.group(1), 16), int(m.group(2), 16)
            maps.append([hi - lo, int(m.group(3), 16), m.group(4), int(m.group(5)), 0])
        elif line.startswith("Rss:") and maps:
            maps[-1][4] = int(line.split()[1]) * 1024
    # The guest RAM: the smallest mapping at least RAM in size and within 8 MiB of it.
    fits = [m for m in maps if ram_bytes <= m[0] <= ram_bytes + (8 << 20)]
    if not fits:
        return None
    ram = min(fits, key=lambda m: m[0])
    other, files = 0, {}
    for m in maps:
        if m is ram:
            continue
        if m[3]:  # file-backed: one entry per (device, inode, offset)
            key = (m[2], m[3], m[1])
            files[key] = max(files.get(key, 0), m[4])
        else:
            other += m[4]
    other += sum(files.values())
    return ram[4], other


def main():
    got = sample(int(sys.argv[1]), int(sys.argv[2]) << 20)
    if got is None:
        sys.exit("smaps.py: cannot read that process")
    print(f"guest RAM resident {got[0] / 2**20:.1f} MiB, the rest {got[1] / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()

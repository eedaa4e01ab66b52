#!/usr/bin/env python3
"""Writes seed inputs for fuzz_virtio_blk (tests/fuzz/run.sh copies them into the corpus):
guests that bring the device up properly and post well-formed IN, OUT, FLUSH, GET_ID,
DISCARD and WRITE_ZEROES requests, so the fuzzer starts from the device's real paths."""
import struct
import sys

# The RAM image must stay well under libFuzzer's -max_len (8192): rings, headers, range
# payloads and status bytes in the first 2 KiB; data buffers beyond it (zero-filled RAM).
IMAGE = 0x800
DESC, AVAIL, USED, HDR, PAYLOAD, STATUS, DATA = 0x0, 0x200, 0x400, 0x600, 0x700, 0x7f0, 0x2000


def seed(requests):
    ram = bytearray(IMAGE)
    heads = []
    d = 0
    for i, (typ, sector, data_len, writable, payload) in enumerate(requests):
        struct.pack_into("<IIQ", ram, HDR + 16 * i, typ, 0, sector)
        buf = DATA + 0x400 * i
        if payload:
            buf = PAYLOAD + 0x40 * i
            ram[buf:buf + len(payload)] = payload
        head = d
        struct.pack_into("<QIHH", ram, DESC + 16 * d, 0x80000000 + HDR + 16 * i, 16, 1, d + 1)
        d += 1
        if data_len:
            flags = 1 | (2 if writable else 0)
            struct.pack_into("<QIHH", ram, DESC + 16 * d, 0x80000000 + buf, data_len, flags,
                             d + 1)
            d += 1
        struct.pack_into("<QIHH", ram, DESC + 16 * d, 0x80000000 + STATUS + i, 1, 2, 0)
        d += 1
        heads.append(head)
    for k, h in enumerate(heads):
        struct.pack_into("<H", ram, AVAIL + 4 + 2 * k, h)
    struct.pack_into("<H", ram, AVAIL + 2, len(heads))
    out = bytearray(struct.pack("<H", IMAGE)) + ram
    # bring_up: op 3, feature mask (4 bytes), no extra, queue 0, size 2^5, three gpas
    # (kind 0).
    out += bytes([3]) + b"\xff\xff\xff\xff" + b"\x00" + bytes([0, 5])
    for gpa in (DESC, AVAIL, USED):
        out += bytes([0]) + struct.pack("<H", gpa)
    out += bytes([2, 0])      # notify queue 0
    out += bytes([5])         # a loop turn
    out += bytes([6])         # drain
    return bytes(out)


def rng(n):
    return struct.pack("<QII", n, 1, 0)


SEEDS = {
    "read-write": [(0, 0, 512, True, None), (1, 8, 1024, False, None), (4, 0, 0, False, None)],
    "get-id": [(8, 0, 20, True, None)],
    "ranges": [(11, 0, 16, False, rng(4)), (13, 0, 32, False, rng(8) + rng(20))],
    "bad": [(0, 127, 1024, True, None), (99, 0, 512, True, None), (1, 0, 100, False, None)],
}

for name, reqs in SEEDS.items():
    with open(f"{sys.argv[1]}/seed-{name}", "wb") as f:
        f.write(seed(reqs))

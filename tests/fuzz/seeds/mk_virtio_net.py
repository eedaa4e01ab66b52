#!/usr/bin/env python3
"""Writes seed inputs for fuzz_virtio_net (tests/fuzz/run.sh copies them into the corpus):
the device brought up with its three queues, receive buffers posted, a transmit frame, a
control command (PROMISC off), then host frames and a carrier change; with and without a
vnet-header backend. Random bytes alone rarely get a driver that far."""
import struct
import sys

QSIZE = 16
RAM = 0x80000000


def qbase(q):
    return 0x300 * q


def build(vnet):
    ram = bytearray(0x2000)
    bufs = 0x1000
    posted = {q: [] for q in range(3)}

    def post(q, parts):
        nonlocal bufs
        first = len(posted[q]) and (posted[q][-1][-1] + 1) or 0
        idxs = []
        for i, (data, writable, length) in enumerate(parts):
            idx = first + i
            addr = bufs
            ram[addr:addr + len(data)] = data
            bufs += (length + 15) & ~15
            flags = (2 if writable else 0) | (1 if i + 1 < len(parts) else 0)
            struct.pack_into("<QIHH", ram, qbase(q) + 16 * idx, RAM + addr, length, flags, idx + 1)
            idxs.append(idx)
        posted[q].append(idxs)

    for _ in range(4):
        post(0, [(b"", True, 256)])
    frame = bytes(12) + b"\xff" * 6 + b"\x52\x54\x00\x12\x34\x56" + b"\x08\x00" + bytes(46)
    post(1, [(frame[:5], False, 5), (frame[5:], False, len(frame) - 5)])
    post(2, [(bytes([0, 0, 0]), False, 3), (b"", True, 1)])
    for q, chains in posted.items():
        avail = qbase(q) + 0x100
        for k, idxs in enumerate(chains):
            struct.pack_into("<H", ram, avail + 4 + 2 * k, idxs[0])
        struct.pack_into("<H", ram, avail + 2, len(chains))

    out = bytearray(struct.pack("<H", len(ram))) + ram
    out += bytes([0x3 if vnet else 0])                # backend: vnet header + CSUM
    out += bytes([2]) + b"\xff\xff\xff\xff"           # bring_up, accept all offered features
    for q in range(3):
        out += bytes([4])                             # size 2^4
        for off in (0, 0x100, 0x180):
            out += bytes([0]) + struct.pack("<H", qbase(q) + off)
    for q in (0, 1, 2):
        out += bytes([1, q])                          # notify
    out += bytes([4 | 0x10]) + struct.pack("<H", 100 if not vnet else 112)   # host frames
    out += bytes([5, 0, 5, 1])                        # carrier down, up
    out += bytes([6, 1, 1, 1, 6, 0])                  # refuse, transmit, accept again
    out += bytes([7, 3])                              # ack the interrupt
    return bytes(out)


def main():
    d = sys.argv[1]
    for name, vnet in (("plain", False), ("vnet", True)):
        with open(f"{d}/seed-{name}", "wb") as f:
            f.write(build(vnet))


if __name__ == "__main__":
    main()

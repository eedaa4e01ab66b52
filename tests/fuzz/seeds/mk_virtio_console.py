#!/usr/bin/env python3
"""Writes seed inputs for fuzz_virtio_console (tests/fuzz/run.sh copies them into the
corpus): a multiport device brought up with every queue, control buffers posted, the
driver's DEVICE_READY / PORT_READY / PORT_OPEN messages, receive and transmit buffers on
both ports; and a single-port console with a transmit and a receive buffer. Random bytes
alone rarely get a driver that far."""
import struct
import sys

QSIZE = 16
RAM = 0x80000000


def qbase(q):
    return 0x300 * q


def build(multiport):
    queues = 6 if multiport else 2
    ram = bytearray(0x1800)
    bufs = 0x1200
    posted = {q: [] for q in range(queues)}

    def post(q, data, writable, length=None):
        nonlocal bufs
        idx = len(posted[q])
        addr = bufs
        n = length if length is not None else len(data)
        ram[addr:addr + len(data)] = data
        bufs += (n + 15) & ~15
        struct.pack_into("<QIHH", ram, qbase(q) + 16 * idx, RAM + addr, n, 2 if writable else 0, 0)
        posted[q].append(idx)

    def ctrl(port, event, value):
        return struct.pack("<IHH", port, event, value)

    if multiport:
        for _ in range(4):
            post(2, b"", True, 64)
        for port, event, value in ((0, 0, 1), (0, 3, 1), (1, 3, 1), (1, 6, 1), (0, 6, 1)):
            post(3, ctrl(port, event, value), False)
        post(4, b"", True, 32)
        post(5, b"hello port 1\n", False)
    post(0, b"", True, 32)
    post(1, b"hello console\n", False)
    for q, heads in posted.items():
        avail = qbase(q) + 0x100
        for k, h in enumerate(heads):
            struct.pack_into("<H", ram, avail + 4 + 2 * k, h)
        struct.pack_into("<H", ram, avail + 2, len(heads))

    out = bytearray(struct.pack("<H", len(ram))) + ram
    out += bytes([1 if multiport else 0])            # shape
    out += bytes([2]) + b"\xff\xff\xff\xff"          # bring_up, accept all offered features
    for q in range(queues):
        out += bytes([4])                            # size 2^4
        for off in (0, 0x100, 0x180):
            out += bytes([0]) + struct.pack("<H", qbase(q) + off)
    for q in ((2, 3, 1, 5) if multiport else (1,)):
        out += bytes([1, q])                         # notify
    for port in ((0, 1) if multiport else (0,)):
        out += bytes([4 | port << 4, 7])             # host input
        out += bytes([5 | port << 4]) + struct.pack("<H", 512) + bytes([1])  # wakeup
    out += bytes([6]) + struct.pack("<HH", 132, 43)  # resize
    out += bytes([7, 3])                             # ack the interrupt
    return bytes(out)


def main():
    d = sys.argv[1]
    for name, multiport in (("multiport", True), ("console", False)):
        with open(f"{d}/seed-{name}", "wb") as f:
            f.write(build(multiport))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes seed inputs for fuzz_virtio_9p (tests/fuzz/run.sh copies them into the corpus):
well-framed 9P2000.L sessions over the fuzz share (a file "a", a directory "d", a symlink
"out" pointing out of the share, a fifo), so the fuzzer starts from the server's real paths:
walks with "..", opens, reads, writes, creates, readdir, getattr/setattr, xattrs, locks,
renames and unlinks."""
import struct
import sys


def s(text):
    b = text.encode()
    return struct.pack("<H", len(b)) + b


def msg(typ, body, tag=1):
    return struct.pack("<IBH", 7 + len(body), typ, tag) + body


def framed(m, piece=0, room=65536, split=True):
    flags = 1 | (2 if split else 0)
    return struct.pack("<BHB", flags, len(m), piece) + struct.pack("<I", room)[:3] + m


def walk(fid, newfid, *names):
    return msg(110, struct.pack("<IIH", fid, newfid, len(names)) + b"".join(s(n) for n in names))


def session(msize, *messages, shapes=None):
    out = struct.pack("<I", msize)
    for i, m in enumerate(messages):
        piece, room = (shapes[i] if shapes and i < len(shapes) else (0, 65536))
        out += framed(m, piece, room)
    return out


seeds = {
    "read": session(8192, walk(0, 1, "a"), msg(12, struct.pack("<II", 1, 0)),
                    msg(116, struct.pack("<IQI", 1, 0, 100)),
                    msg(24, struct.pack("<IQ", 1, 0x7ff)), msg(120, struct.pack("<I", 1))),
    "escape": session(8192, walk(0, 1, "..", "..", "outside"), walk(0, 2, "out", "outside"),
                      walk(0, 3, "d", "..", ".."), walk(0, 4, "out"),
                      msg(22, struct.pack("<I", 4)), msg(12, struct.pack("<II", 4, 0)),
                      walk(0, 5, "fifo"), msg(12, struct.pack("<II", 5, 0))),
    "create": session(65536, walk(0, 1), msg(14, struct.pack("<I", 1) + s("new") +
                                             struct.pack("<III", 2, 0o644, 0)),
                      msg(118, struct.pack("<IQI", 1, 0, 5) + b"hello"),
                      msg(50, struct.pack("<II", 1, 0)),
                      msg(52, struct.pack("<IBIQQI", 1, 1, 0, 0, 0, 7) + s("fuzz")),
                      msg(54, struct.pack("<IBQQI", 1, 0, 0, 0, 7) + s("fuzz")),
                      msg(120, struct.pack("<I", 1)),
                      msg(74, struct.pack("<I", 0) + s("new") + struct.pack("<I", 0) + s("new2")),
                      msg(70, struct.pack("<II", 0, 0) + s("x")),
                      msg(76, struct.pack("<I", 0) + s("new2") + struct.pack("<I", 0))),
    "dirs": session(8192, msg(72, struct.pack("<I", 0) + s("dd") + struct.pack("<II", 0o755, 0)),
                    msg(16, struct.pack("<I", 0) + s("ln") + s("../../etc/passwd") +
                        struct.pack("<I", 0)),
                    msg(18, struct.pack("<I", 0) + s("nod") + struct.pack("<IIII", 0o10644, 0, 0, 0)),
                    walk(0, 1, "d"), msg(12, struct.pack("<II", 1, 0o200000)),
                    msg(40, struct.pack("<IQI", 1, 0, 4000)), msg(8, struct.pack("<I", 0)),
                    msg(76, struct.pack("<I", 0) + s("dd") + struct.pack("<I", 0x200))),
    "attrs": session(8192, walk(0, 1, "a"),
                     msg(26, struct.pack("<IIIIIQQQQQ", 1, 0x7f, 0o600, 0, 0, 3, 0, 0, 0, 0)),
                     msg(32, struct.pack("<I", 1) + s("user.k") + struct.pack("<QI", 2, 0)),
                     msg(118, struct.pack("<IQI", 1, 0, 2) + b"vv"),
                     msg(120, struct.pack("<I", 1)), walk(0, 2, "a"),
                     msg(30, struct.pack("<II", 2, 3) + s("")),
                     msg(116, struct.pack("<IQI", 3, 0, 100)),
                     msg(30, struct.pack("<II", 2, 4) + s("user.k")), msg(100, struct.pack("<I", 4096) + s("9P2000.L"))),
    "shapes": session(8192, walk(0, 1, "a"), msg(12, struct.pack("<II", 1, 2)),
                      msg(118, struct.pack("<IQI", 1, 3, 40) + b"z" * 40),
                      msg(116, struct.pack("<IQI", 1, 0, 100000)),
                      shapes=[(3, 11), (1, 100), (5, 11), (7, 30)]),
}

for name, data in seeds.items():
    with open(f"{sys.argv[1]}/seed-{name}", "wb") as f:
        f.write(data)

#!/usr/bin/env python3
"""Host side of bench/net.sh, on 127.0.0.1 only: sends MIB MiB to the guest's first
connection on DL_PORT, sinks its upload on UL_PORT, then does COUNT 1-byte TCP round trips
with the guest's echo server through the hostfwd port ECHO_PORT. Prints one JSON line:
{"down_MBps", "up_MBps", "rtt_us"}. Every wait is bounded (DEADLINE seconds in all).

usage: host.py DL_PORT UL_PORT ECHO_PORT MIB COUNT DEADLINE PORTS_FILE
"""
import json
import socket
import statistics
import sys
import time

dl_port, ul_port, echo_port, mib, count, deadline_s = (int(x) for x in sys.argv[1:7])
deadline = time.monotonic() + deadline_s


def listener(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(1)
    s.settimeout(max(1.0, deadline - time.monotonic()))
    return s


dl, ul = listener(dl_port), listener(ul_port)
with open(sys.argv[7], "w") as f:
    f.write("%d %d\n" % (dl.getsockname()[1], ul.getsockname()[1]))
result = {}
chunk = b"\0" * (1 << 16)

c, _ = dl.accept()
t0 = time.monotonic()
for _ in range(mib * 16):
    c.sendall(chunk)
c.shutdown(socket.SHUT_WR)
c.settimeout(60)
while c.recv(4096):        # the guest closes once it has read everything
    pass
result["down_MBps"] = mib * 1048576 / 1e6 / (time.monotonic() - t0)
c.close()

c, _ = ul.accept()
c.settimeout(120)
t0, n = time.monotonic(), 0
while True:
    b = c.recv(1 << 16)
    if not b:
        break
    n += len(b)
result["up_MBps"] = n / 1e6 / (time.monotonic() - t0)
result["up_bytes"] = n
c.close()

# The echo server may not be listening yet: retry until one byte comes back.
rtts = []
while time.monotonic() < deadline and not rtts:
    try:
        s = socket.create_connection(("127.0.0.1", echo_port), timeout=3)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(b"x")
        if s.recv(1) != b"x":
            raise OSError("no echo")
        for _ in range(count):
            t0 = time.monotonic()
            s.sendall(b"x")
            if s.recv(1) != b"x":
                raise OSError("echo broke")
            rtts.append(time.monotonic() - t0)
        s.close()
    except OSError:
        rtts = []
        time.sleep(0.5)
result["rtt_us"] = statistics.median(rtts) * 1e6 if rtts else None
print(json.dumps(result), flush=True)

#!/usr/bin/env python3
"""Hostile and careless QMP clients against a running kite: each gets an error or is
closed, and kite and a well-behaved client carry on.

usage: robust.py KITE SPIN_FIRMWARE DISK_IMAGE
Prints "PASS qmp-robust.NAME" / "FAIL qmp-robust.NAME (why)".
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

KITE, FIRMWARE, DISK = sys.argv[1:4]


def result(name, ok, why=""):
    print(f"PASS qmp-robust.{name}" if ok else f"FAIL qmp-robust.{name} ({why})", flush=True)


class Client:
    def __init__(self, path, negotiate=True, connected=None):
        if connected is not None:
            self.s = connected
        else:
            self.s = socket.socket(socket.AF_UNIX)
            self.s.connect(path)
        self.buf = b""
        self.greeting = self.read()
        if negotiate:
            self.cmd({"execute": "qmp_capabilities"})

    def read(self, seconds=20):
        end = time.monotonic() + seconds
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.s.settimeout(left)
            try:
                data = self.s.recv(65536)
            except (socket.timeout, OSError):
                return None
            if not data:
                return None
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def send(self, raw):
        self.s.sendall(raw)

    def cmd(self, msg):
        self.send(json.dumps(msg).encode() + b"\n")
        while True:
            m = self.read()
            if m is None or "return" in m or "error" in m:
                return m

    def closed(self, seconds=20):
        """True once the server closed this connection (what is still buffered is read)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.s.settimeout(max(end - time.monotonic(), 0.01))
            try:
                data = self.s.recv(1 << 20)
            except socket.timeout:
                return False
            except OSError:
                return True
            if not data:
                return True
        return False


def status_ok(path):
    c = Client(path)
    r = c.cmd({"execute": "query-status"})
    c.s.close()
    return r is not None and r.get("return", {}).get("status") == "running"


def connect_when_listening(path, end):
    """A socket connected to kite's QMP once it accepts: the socket file appears at bind(),
    a moment before listen(), and a connect in between is refused."""
    while True:
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(path)
            return s
        except (FileNotFoundError, ConnectionRefusedError):
            s.close()
            if time.monotonic() >= end:
                raise
            time.sleep(0.05)


def main():
    with tempfile.TemporaryDirectory() as d:
        sock = os.path.join(d, "q.sock")
        kite = subprocess.Popen([KITE, "run", "--bios", FIRMWARE, "--qmp", sock,
                                 "--disk", DISK + ",ro", "--input", "keyboard"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        try:
            run(sock, connect_when_listening(sock, time.monotonic() + 60))
            quitter = Client(sock)
            r = quitter.cmd({"execute": "quit"})
            result("quit", r == {"return": {}}, repr(r))
            rc = kite.wait(timeout=30)
            result("kite-exits-0", rc == 0, f"exit {rc}")
            err = kite.stderr.read().decode("utf-8", "replace")
            result("log-names-the-long-line", "longer than 65536" in err, err[-300:])
        finally:
            if kite.poll() is None:
                kite.kill()
                kite.wait()


def run(sock, first):
    # Several clients at once, each with its own negotiation.
    a, b = Client(sock, connected=first), Client(sock, negotiate=False)
    r = b.cmd({"execute": "query-status"})
    result("before-capabilities-refused",
           r is not None and r.get("error", {}).get("class") == "CommandNotFound", repr(r))
    r = a.cmd({"execute": "query-status"})
    result("other-client-unaffected", r is not None and "return" in r, repr(r))

    # Malformed JSON: an error, and the same client goes on.
    c = Client(sock)
    c.send(b'{"execute": }\n')
    r = c.read()
    result("malformed-json-error",
           r is not None and r.get("error", {}).get("class") == "GenericError", repr(r))
    c.send(b"\x00\xff\xfe\n")
    r = c.read()
    result("binary-garbage-error", r is not None and "error" in r, repr(r))
    r = c.cmd({"execute": "query-status"})
    result("client-goes-on-after-errors", r is not None and "return" in r, repr(r))

    # QMP is a stream of JSON texts, not of lines (QEMU's Python client sends no newline):
    # a request with no newline, two in one send, one over several lines and sends, and
    # stray bytes before one each get their answer.
    c.send(b'{"execute": "query-status", "id": 1}')
    r = c.read()
    result("request-without-newline", r is not None and r.get("id") == 1, repr(r))
    c.send(b'{"execute": "query-status", "id": 2}{"execute": "query-status", "id": 3}')
    r2, r3 = c.read(), c.read()
    result("two-requests-in-one-send",
           r2 is not None and r3 is not None and (r2.get("id"), r3.get("id")) == (2, 3),
           repr((r2, r3)))
    c.send(b'{"execute":\r\n')
    time.sleep(0.2)
    c.send(b' "query-status",\n "id": "}{"\n}')
    r = c.read()
    result("request-across-lines-and-sends", r is not None and r.get("id") == "}{", repr(r))
    c.send(b'xx{"execute": "query-status", "id": 5}\n')
    r, r5 = c.read(), c.read()
    result("stray-bytes-then-request",
           r is not None and "error" in r and r5 is not None and r5.get("id") == 5,
           repr((r, r5)))

    # Half a command, then gone.
    h = Client(sock)
    h.send(b'{"execute": "sto')
    h.s.close()
    # A line of megabytes: disconnected, after an error if it can still read.
    m = Client(sock)
    try:
        m.send(b"x" * (3 << 20))
    except OSError:
        pass
    result("megabyte-line-closed", m.closed(), "still connected")
    # A client that asks and never reads: disconnected once 1 MiB waits for it.
    n = Client(sock)
    n.s.setblocking(False)
    req = (json.dumps({"execute": "query-commands"}) + "\n").encode() * 200
    sent_all, deadline = True, time.monotonic() + 30
    total = 0
    while time.monotonic() < deadline and total < (64 << 20):
        try:
            total += n.s.send(req)
        except BlockingIOError:
            time.sleep(0.01)
        except OSError:
            break
    else:
        sent_all = False
    n.s.setblocking(True)
    result("non-reader-closed", n.closed(30), f"sent {total} bytes, sent_all={sent_all}")

    # Too many clients: the ninth is refused with an error, the first eight are fine.
    extra = [Client(sock, negotiate=False) for _ in range(5)]
    refused = Client.__new__(Client)
    refused.s = socket.socket(socket.AF_UNIX)
    refused.s.connect(sock)
    refused.buf = b""
    msg = refused.read()
    result("ninth-client-refused", msg is not None and "error" in msg and refused.closed(),
           repr(msg))
    for e in extra:
        e.s.close()
    b.s.close()
    c.s.close()
    time.sleep(0.2)

    result("kite-carries-on", status_ok(sock), "query-status failed")
    blocks = a.cmd({"execute": "query-block"})
    disk = (blocks or {}).get("return", [{}])
    result("query-block-names-the-disk",
           len(disk) == 1 and disk[0].get("inserted", {}).get("file") == DISK and
           disk[0]["inserted"].get("ro") is True, repr(blocks))
    r = a.cmd({"execute": "input-send-event", "arguments": {"events": [
        {"type": "key", "data": {"down": True, "key": {"type": "qcode", "data": "esc"}}}]}})
    result("input-to-keyboard", r == {"return": {}}, repr(r))
    a.s.close()


if __name__ == "__main__":
    main()

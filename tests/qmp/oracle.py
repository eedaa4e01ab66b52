#!/usr/bin/env python3
"""QMP against QEMU as an oracle: one fixed conversation, held with kite and with
qemu-system-riscv64, and the shapes of the answers compared (which of return/error/event,
the keys and value types of a return or an event's data, the error class, the id echoed).
Values that legitimately differ (versions, timestamps) are not compared.

usage: oracle.py KITE_CMD... -- QEMU_CMD...   (each command line has @SOCK@ for the socket)
Prints "PASS qmp-oracle.STEP" / "FAIL qmp-oracle.STEP (why)" per step.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

def KEY(qcode, down):
    return {"type": "key", "data": {"down": down, "key": {"type": "qcode", "data": qcode}}}


ABS = {"type": "abs", "data": {"axis": "x", "value": 1000}}

# (step, what to send, the event it must bring, if any). Strings are sent as they are, with
# a newline; bytes are sent exactly as they are.
# Both machines have a keyboard and a tablet, and no mouse.
CONVERSATION = [
    ("before-negotiation", {"execute": "query-status"}, None),
    ("capabilities", {"execute": "qmp_capabilities", "id": 1}, None),
    ("capabilities-again", {"execute": "qmp_capabilities"}, None),
    ("status-running", {"execute": "query-status"}, None),
    ("stop", {"execute": "stop"}, "STOP"),
    ("status-paused", {"execute": "query-status", "id": "abc"}, None),
    ("input-while-stopped", {"execute": "input-send-event", "arguments": {"events": [ABS]}},
     None),
    ("cont", {"execute": "cont"}, "RESUME"),
    ("input-keys", {"execute": "input-send-event",
                    "arguments": {"events": [KEY("a", True), KEY("a", False)]}}, None),
    ("input-abs", {"execute": "input-send-event", "arguments": {"events": [ABS]}}, None),
    ("input-unknown-device", {"execute": "input-send-event",
                              "arguments": {"device": "nosuch", "events": [ABS]}}, None),
    ("input-no-handler", {"execute": "input-send-event", "arguments": {"events": [
        {"type": "rel", "data": {"axis": "x", "value": 3}}]}}, None),
    ("input-bad-qcode", {"execute": "input-send-event",
                         "arguments": {"events": [KEY("no_such_key", True)]}}, None),
    ("version", {"execute": "query-version"}, None),
    ("unknown-command", {"execute": "frobnicate"}, None),
    ("unexpected-argument", {"execute": "stop", "arguments": {"now": True}}, None),
    ("arguments-not-object", {"execute": "stop", "arguments": [1]}, None),
    ("not-an-object", "[1, 2]", None),
    # QMP is a stream of JSON texts: no newline after one, or one over several lines.
    ("no-newline", b'{"execute": "query-status", "id": 7}', None),
    ("across-lines", b'{"execute":\r\n "query-status",\n "id": 8}\n', None),
    ("balanced-but-invalid", "{\"execute\": }", None),
    ("no-execute", {"id": 5}, None),
    ("unexpected-member", {"execute": "cont", "bogus": 1}, None),
    ("input-missing-events", {"execute": "input-send-event", "arguments": {}}, None),
    ("system-reset", {"execute": "system_reset"}, "RESET"),
    ("quit", {"execute": "quit"}, "SHUTDOWN"),
]


def shape(v):
    """The structure of a JSON value: dict keys and value types, recursively."""
    if isinstance(v, dict):
        return {k: shape(x) for k, x in sorted(v.items())}
    if isinstance(v, list):
        return [shape(v[0])] if v else []
    return type(v).__name__


class Conn:
    def __init__(self, path):
        end = time.monotonic() + 60
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.connect(path)
                break
            except OSError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.1)
        self.buf = b""
        self.pending = []

    def read(self, seconds=30):
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

    def exchange(self, msg, event):
        if isinstance(msg, bytes):
            self.s.sendall(msg)
        else:
            text = msg if isinstance(msg, str) else json.dumps(msg)
            self.s.sendall(text.encode() + b"\n")
        reply = None
        while reply is None:
            m = self.read()
            if m is None:
                return {"reply": "none"}
            if "return" in m or "error" in m:
                reply = m
            else:
                self.pending.append(m)
        rec = {"id": reply.get("id")}
        if "error" in reply:
            rec["error"] = reply["error"].get("class")
            rec["desc-is-string"] = isinstance(reply["error"].get("desc"), str)
        else:
            rec["return"] = shape(reply["return"])
        if event:
            ev = next((e for e in self.pending if e.get("event") == event), None)
            while ev is None:
                m = self.read(10)
                if m is None:
                    break
                if m.get("event") == event:
                    ev = m
                else:
                    self.pending.append(m)
            if ev:
                self.pending = [e for e in self.pending if e is not ev]
                rec["event"] = {"event": ev["event"], "data": shape(ev.get("data")),
                                "timestamp": shape(ev.get("timestamp"))}
                if isinstance(ev.get("data"), dict) and "guest" in ev["data"]:
                    rec["event"]["guest"] = ev["data"]["guest"]
                    rec["event"]["reason"] = ev["data"].get("reason")
            else:
                rec["event"] = "missing"
        return rec


def converse(cmd, sock):
    proc = subprocess.Popen([a.replace("@SOCK@", sock) for a in cmd], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        c = Conn(sock)
        greeting = c.read()
        records = [("greeting", {"greeting": shape(greeting.get("QMP", {}).get("version"))
                                 if greeting else None})]
        for step, msg, event in CONVERSATION:
            records.append((step, c.exchange(msg, event)))
        proc.wait(timeout=30)
        records.append(("quit-exits-0", {"exit": proc.returncode}))
        return records
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def main():
    sep = sys.argv.index("--")
    kite_cmd, qemu_cmd = sys.argv[1:sep], sys.argv[sep + 1:]
    with tempfile.TemporaryDirectory() as d:
        kite = converse(kite_cmd, os.path.join(d, "kite.sock"))
        qemu = converse(qemu_cmd, os.path.join(d, "qemu.sock"))
    for (step, k), (_, q) in zip(kite, qemu):
        if k == q:
            print(f"PASS qmp-oracle.{step}")
        else:
            print(f"FAIL qmp-oracle.{step} (kite {json.dumps(k)} vs QEMU {json.dumps(q)})")


if __name__ == "__main__":
    main()

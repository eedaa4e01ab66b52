#!/usr/bin/env python3
"""Host side of tests/guest/virtio_input.sh, run by virtio_input.host while the guest runs.

usage: virtio_input_host.py KITE WORK_DIR CONSOLE_LOG

Talks QMP to the kite the harness started (socket WORK_DIR/qmp.sock): once the guest says
INPUT-READY it sends keyboard, tablet and mouse events (one batch through `kite qmp`),
then waits for the INPUT_LED event of the LED the guest sets, stops the machine while the
guest ticks (no tick may appear while stopped, kite's CPU must be near idle), lets it run
on, ends the ticking with a q key, and expects SHUTDOWN with guest=true at the end. Prints "PASS name" or
"FAIL name (why)" per check.
"""
import json
import os
import socket
import subprocess
import sys
import time

KITE, WORK, LOG = sys.argv[1:4]
SOCK = os.path.join(WORK, "qmp.sock")
DEADLINE = 300  # seconds for anything the guest must do first (an emulated boot)


def result(name, ok, why=""):
    print(f"PASS {name}" if ok else f"FAIL {name} ({why})", flush=True)


def console():
    try:
        with open(LOG, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def wait_console(text, seconds=DEADLINE):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if text in console():
            return True
        time.sleep(0.1)
    return False


class Qmp:
    def __init__(self, path):
        # The socket file appears at bind(), a moment before kite's listen(): a connect in
        # between is refused, so try again until the deadline.
        end = time.monotonic() + DEADLINE
        while True:
            self.sock = socket.socket(socket.AF_UNIX)
            try:
                self.sock.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                self.sock.close()
                if time.monotonic() >= end:
                    raise
                time.sleep(0.05)
        self.buf = b""
        self.events = []

    def read(self, seconds=DEADLINE):
        end = time.monotonic() + seconds
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not data:
                return None
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, name, args=None):
        req = {"execute": name}
        if args is not None:
            req["arguments"] = args
        self.sock.sendall(json.dumps(req).encode() + b"\n")
        while True:
            msg = self.read()
            if msg is None or "return" in msg or "error" in msg:
                return msg
            self.events.append(msg)

    def event(self, name, seconds=DEADLINE):
        for i, ev in enumerate(self.events):
            if ev.get("event") == name:
                return self.events.pop(i)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            msg = self.read(end - time.monotonic())
            if msg is None:
                return None
            if msg.get("event") == name:
                return msg
            self.events.append(msg)
        return None


def key(qcode, down):
    return {"type": "key", "data": {"down": down, "key": {"type": "qcode", "data": qcode}}}


def kite_pid():
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        # Not the timeout(1) or env(1) in front of it, which name the socket too.
        if SOCK.encode() in args and os.path.basename(args[0]) == b"kite":
            return int(pid)
    return None


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    end = time.monotonic() + DEADLINE
    while not os.path.exists(SOCK) and time.monotonic() < end:
        time.sleep(0.1)
    q = Qmp(SOCK)
    greeting = q.read()
    result("qmp-greeting", greeting is not None and "QMP" in greeting, repr(greeting))
    result("qmp-negotiated", q.cmd("qmp_capabilities") == {"return": {}}, "")

    if not wait_console("INPUT-READY"):
        result("guest-ready", False, "no INPUT-READY on the console")
        return
    sends = [
        {"events": [key("shift", True), key("a", True), key("a", False), key("shift", False)]},
        {"device": "input1", "events": [{"type": "abs", "data": {"axis": "x", "value": 100}},
                                        {"type": "abs", "data": {"axis": "y", "value": 32767}}]},
        {"events": [{"type": "abs", "data": {"axis": "x", "value": 40000}}]},
        {"device": "input1", "events": [{"type": "btn", "data": {"down": True, "button": "left"}}]},
        {"device": "input1", "events": [{"type": "btn", "data": {"down": False, "button": "left"}}]},
        {"events": [{"type": "rel", "data": {"axis": "x", "value": 5}},
                    {"type": "rel", "data": {"axis": "y", "value": -3}}]},
        {"device": "ptr", "events": [{"type": "btn", "data": {"down": True, "button": "wheel-up"}},
                                     {"type": "btn", "data": {"down": False, "button": "wheel-up"}}]},
    ]
    replies = [q.cmd("input-send-event", s) for s in sends]
    result("input-send-event-replies", all(r == {"return": {}} for r in replies), repr(replies))
    # Enter (key number 0x1c), pressed and released in one group, through the shell client.
    number = {"type": "number", "data": 0x1C}
    args = {"events": [{"type": "key", "data": {"down": True, "key": number}},
                       {"type": "key", "data": {"down": False, "key": number}}]}
    p = subprocess.run([KITE, "qmp", SOCK, "input-send-event", json.dumps(args)],
                       capture_output=True, text=True, timeout=60)
    result("kite-qmp-client", p.returncode == 0 and p.stdout.strip() == "{}",
           f"exit {p.returncode}: {p.stdout.strip()} {p.stderr.strip()}")

    led = q.event("INPUT_LED")
    data = led.get("data") if led else None
    result("input-led-event", data == {"device": "input0", "led": "caps-lock", "on": True},
           repr(led))
    result("input-led-timestamp", led is not None and
           isinstance(led.get("timestamp", {}).get("seconds"), int), repr(led))

    # Stop while the guest ticks: nothing may reach the console, and kite idles.
    if not wait_console("TICK 3"):
        result("guest-ticks", False, "no TICK 3 on the console")
        return
    pid = kite_pid()
    stop = q.cmd("stop")
    stop_ev = q.event("STOP", 10)
    result("stop", stop == {"return": {}} and stop_ev is not None, f"{stop} {stop_ev}")
    status = q.cmd("query-status")
    result("status-paused", status == {"return": {"status": "paused", "singlestep": False,
                                                  "running": False}}, repr(status))
    time.sleep(0.5)
    size = len(console())
    cpu0 = cpu_seconds(pid) if pid else None
    time.sleep(2)
    cpu = cpu_seconds(pid) - cpu0 if pid else None
    after = console()
    result("stopped-no-progress", len(after) == size,
           f"{len(after) - size} console bytes while stopped: {after[size:][:80]!r}")
    result("stopped-cpu-idle", cpu is not None and cpu < 0.2,
           f"kite pid {pid} used {cpu} s of CPU in 2 s")
    ticks = after.count("TICK ")
    cont = q.cmd("cont")
    resume = q.event("RESUME", 10)
    result("cont", cont == {"return": {}} and resume is not None, f"{cont} {resume}")
    result("runs-after-cont", wait_console(f"TICK {ticks}", 120), f"stuck after TICK {ticks - 1}")
    # q ends the guest's ticking.
    r = q.cmd("input-send-event", {"events": [key("q", True), key("q", False)]})
    result("key-ends-ticks", r == {"return": {}}, repr(r))
    shutdown = q.event("SHUTDOWN")
    result("shutdown-event",
           shutdown is not None and shutdown.get("data") == {"guest": True,
                                                             "reason": "guest-shutdown"},
           repr(shutdown))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a broken connection or a bad reply fails the run, loudly
        result("host-script", False, f"{type(e).__name__}: {e}")

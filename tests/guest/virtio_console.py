#!/usr/bin/env python3
"""The guest console on virtio-console (hvc0) and named virtio-console ports.

kite runs on a pty (its controlling terminal, as in a real shell) with --console virtio and
two ports: one on a new pty, one on a unix socket. Through the shell on hvc0 the test checks
the tty name, the terminal size and that a resize of the host terminal reaches the guest,
that thousands of output lines and a long typed line arrive intact, that the ports are named
in sysfs, and that bytes cross each port in both directions. Then it powers off.

usage: virtio_console.py KITE KERNEL INITRD BIOS LOGFILE
"""
import fcntl
import hashlib
import os
import re
import select
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import time
import tty

TIMEOUT = float(os.environ.get("KITE_GUEST_TIMEOUT", "300"))


def result(ok, name, detail=""):
    print(f"{'PASS' if ok else 'FAIL'} guest.virtio-console.{name}" +
          (f" ({detail})" if detail and not ok else ""))
    sys.stdout.flush()


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class Tty:
    def __init__(self, cmd, log):
        self.master, slave = os.openpty()
        set_size(slave, 37, 101)

        def become_terminal_owner():
            # As a login shell would: the pty is kite's controlling terminal, so resizing
            # it sends kite SIGWINCH.
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave,
                                     start_new_session=True, preexec_fn=become_terminal_owner)
        os.close(slave)
        self.buf = b""
        self.seen = b""
        self.log = open(log, "wb")

    def pump(self, timeout):
        r, _, _ = select.select([self.master], [], [], timeout)
        if not r:
            return True
        try:
            chunk = os.read(self.master, 65536)
        except OSError:
            return False
        if not chunk:
            return False
        self.log.write(chunk)
        self.log.flush()
        self.buf += chunk
        self.seen += chunk
        return True

    def expect(self, text, timeout):
        """Returns what came before `text` (consuming through it), or None."""
        want = text.encode() if isinstance(text, str) else text
        deadline = time.monotonic() + timeout
        while want not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not self.pump(left):
                return None
        before, _, self.buf = self.buf.partition(want)
        return before

    def send(self, text):
        os.write(self.master, text.encode())

    def wait(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                return rc
            self.pump(0.2)
        self.proc.kill()
        self.proc.wait()
        return None


def run_cmd(t, command, marker, timeout=60):
    """Runs `command` in the guest shell; returns its output (text before `marker`).
    Commands spell their end markers with '' inside (E''ND), so the shell's echo of the
    command line never matches the marker; only the output does."""
    t.send(command + "\r")
    out = t.expect(marker, timeout)
    return None if out is None else out.decode("utf-8", "replace")


def read_until(fd, want, timeout):
    deadline = time.monotonic() + timeout
    got = b""
    while want not in got and time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], max(0, deadline - time.monotonic()))
        if r:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            got += chunk
    return got


def main():
    kite, kernel, initrd, bios, log = sys.argv[1:6]
    tmp = tempfile.mkdtemp(prefix="kite-vcon.")
    sock_path = os.path.join(tmp, "port.sock")
    cmd = [kite, "run", "--kernel", kernel, "--initrd", initrd, "--bios", bios,
           "--console", "virtio", "--port", "org.kite.pty=pty",
           "--port", f"org.kite.sock=unix:{sock_path}"]
    t = Tty(cmd, log)
    up = t.expect("to power off", TIMEOUT) is not None
    result(up, "reaches-shell", "no shell banner: see " + log)
    if not up:
        t.proc.kill()
        return
    # Let the shell print its prompt before typing.
    t.expect("# ", 30)

    out = run_cmd(t, "echo TTY-$(tty)-E''ND", "-END\r\n")
    result(out is not None and out.endswith("TTY-/dev/hvc0"), "shell-on-hvc0", repr(out))

    out = run_cmd(t, "echo SIZE-$(stty size | tr ' ' x)-E''ND", "-END\r\n")
    result(out is not None and out.endswith("SIZE-37x101"), "size-from-host-terminal",
           repr(out))

    # Resize the host terminal; the guest hears of it through a config-change interrupt.
    set_size(t.master, 50, 132)
    resized = False
    for _ in range(20):
        out = run_cmd(t, "echo SIZE-$(stty size | tr ' ' x)-E''ND", "-END\r\n")
        if out is not None and out.endswith("SIZE-50x132"):
            resized = True
            break
        time.sleep(0.5)
    result(resized, "size-follows-resize", repr(out))

    out = run_cmd(t, "echo IDS-$(cat /sys/bus/virtio/devices/*/device | tr '\\n' ,)-E''ND",
                  "-END\r\n")
    result(out is not None and out.endswith("IDS-0x0003,0x0003,"), "two-console-devices",
           repr(out))

    # Thousands of lines through hvc0, every one in order. Kernel messages go to the console
    # too (a loaded host makes "hrtimer: interrupt took ..." likely): keep them out of it.
    run_cmd(t, "dmesg -n 1; echo QUIET-E''ND", "-END\r\n")
    t.send("seq 1 4000 | sed 's/^/L/'; echo LINES-DO''NE\r")
    out = t.expect("LINES-DONE\r\n", 120)
    lines = re.findall(rb"^L(\d+)\r$", out or b"", re.M)
    nums = [int(x) for x in lines]
    result(nums == list(range(1, 4001)), "thousands-of-lines-intact",
           f"got {len(nums)} lines, first bad at "
           f"{next((i for i, n in enumerate(nums) if n != i + 1), None)}")

    # A long line typed at once: input must wait for guest buffers, never be dropped.
    # (busybox's line editor holds at most 1024 bytes; 900 is well over the 16550's FIFO)
    long = "".join(chr(ord("a") + i % 26) for i in range(900))
    out = run_cmd(t, f"echo {long} | wc -c | sed 's/^/LEN-/;s/$/-E''ND/'", "-END\r\n")
    result(out is not None and out.endswith("LEN-901"), "long-typed-line-intact",
           repr(out[-40:] if out else out))

    out = run_cmd(t, "for p in /sys/class/virtio-ports/*; do "
                     "echo \"P-${p##*/}=$(cat $p/name)\"; done; echo PORTS-E''ND",
                  "PORTS-END\r\n")
    ports = dict((name, dev) for dev, name in re.findall(r"P-(vport\w+)=([\w.]+)", out or ""))
    result("org.kite.pty" in ports and "org.kite.sock" in ports, "ports-named-in-sysfs",
           repr(ports))

    # The pty port: kite printed where it is.
    m = re.search(rb"port org\.kite\.pty is on (/dev/pts/\d+)", t.seen)
    pty_dev = ports.get("org.kite.pty")
    if m and pty_dev:
        fd = os.open(m.group(1), os.O_RDWR | os.O_NOCTTY)
        tty.setraw(fd)
        run_cmd(t, f"echo ping-pty > /dev/{pty_dev}; echo W1-E''ND", "W1-END\r\n")
        got = read_until(fd, b"ping-pty\n", 30)
        result(b"ping-pty\n" in got, "pty-port-guest-to-host", repr(got))
        os.write(fd, b"pong-pty\n")
        out = run_cmd(t, f"head -n1 /dev/{pty_dev} | sed 's/^/GOT-/;s/$/-E''ND/'", "-END\r\n")
        result(out is not None and out.endswith("GOT-pong-pty"), "pty-port-host-to-guest",
               repr(out))
        os.close(fd)
    else:
        result(False, "pty-port-guest-to-host", f"pty path {m}, port {pty_dev}")
        result(False, "pty-port-host-to-guest", "no pty")

    sock_dev = ports.get("org.kite.sock")
    if sock_dev and os.path.exists(sock_path):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sock_path)
        out = run_cmd(t, f"echo ping-sock > /dev/{sock_dev}; echo W2-E''ND", "W2-END\r\n")
        got = read_until(s.fileno(), b"ping-sock\n", 30)
        result(b"ping-sock\n" in got, "socket-port-guest-to-host", repr(got))
        s.sendall(b"pong-sock\n")
        out = run_cmd(t, f"head -n1 /dev/{sock_dev} | sed 's/^/GOT-/;s/$/-E''ND/'", "-END\r\n")
        result(out is not None and out.endswith("GOT-pong-sock"), "socket-port-host-to-guest",
               repr(out))
        # Bulk, both ways: far more than the rings and buffers hold, so it only arrives
        # whole if back-pressure works on each side.
        size = 256 * 1024
        out = run_cmd(t, f"head -c {size} /dev/urandom > /tmp/blob; "
                         "echo MD5-$(md5sum < /tmp/blob | cut -c1-32)-E''ND", "-END\r\n")
        guest_md5 = out.rsplit("MD5-", 1)[-1] if out else None
        t.send(f"cat /tmp/blob > /dev/{sock_dev}; echo W3-E''ND\r")
        got = b""
        deadline = time.monotonic() + 120
        while len(got) < size and time.monotonic() < deadline:
            t.pump(0)
            r, _, _ = select.select([s], [], [], 0.5)
            if r:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
        t.expect("W3-END\r\n", 60)
        result(len(got) == size and hashlib.md5(got).hexdigest() == guest_md5,
               "socket-port-bulk-guest-to-host", f"{len(got)} bytes, md5 {guest_md5}")
        blob = os.urandom(size)
        t.send(f"echo MD5-$(head -c {size} /dev/{sock_dev} | md5sum | cut -c1-32)-E''ND\r")
        time.sleep(1)
        s.setblocking(True)
        s.sendall(blob)
        out = t.expect("-END\r\n", 120)
        out = out.decode("utf-8", "replace") if out else ""
        result(out.endswith("MD5-" + hashlib.md5(blob).hexdigest()),
               "socket-port-bulk-host-to-guest", out[-40:])
        s.close()
    else:
        result(False, "socket-port-guest-to-host", f"socket {sock_path}, port {sock_dev}")
        result(False, "socket-port-host-to-guest", "no socket")

    # Ctrl-A d: the state dump lists each VirtIO device with its live queues.
    t.send("\x01d")
    dumped = t.expect("kite: machine state", 30) is not None and \
        t.expect("virtio-console: status 0xf", 30) is not None and \
        t.expect("queue 1: size", 30) is not None and \
        t.expect("virtio-console-ports: status 0xf", 30) is not None
    result(dumped, "ctrl-a-d-dumps-queues", "no device/queue lines in the dump")

    t.send("poweroff\r")
    rc = t.wait(120)
    result(rc == 0, "poweroff-exits-0", f"exit {rc}")
    bad = re.search(rb"Kernel panic|Oops|BUG:|WARNING: CPU|virtio.*(error|broken)", t.seen)
    result(bad is None, "kernel-clean", bad.group(0).decode() if bad else "")
    result(not os.path.exists(sock_path), "socket-removed-on-exit", sock_path)


if __name__ == "__main__":
    main()

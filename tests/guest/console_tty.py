#!/usr/bin/env python3
"""kite's console on a real terminal (a pty): raw mode, the Ctrl-A escapes, and the
terminal restored on exit, whether the user quits with Ctrl-A x or kite gets SIGTERM.

usage: console_tty.py KITE KERNEL INITRD BIOS LOGFILE
"""
import os
import select
import signal
import subprocess
import sys
import termios
import time

TIMEOUT = float(os.environ.get("KITE_GUEST_TIMEOUT", "300"))


def result(ok, name, detail=""):
    print(f"{'PASS' if ok else 'FAIL'} guest.console-tty.{name}" +
          (f" ({detail})" if detail and not ok else ""))
    sys.stdout.flush()


class Tty:
    def __init__(self, cmd, log):
        self.master, slave = os.openpty()
        self.before = termios.tcgetattr(slave)
        self.slave = slave
        self.proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave,
                                     start_new_session=True)
        self.buf = b""
        self.log = open(log, "ab")

    def expect(self, text, timeout):
        want = text.encode()
        deadline = time.monotonic() + timeout
        while want not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            r, _, _ = select.select([self.master], [], [], left)
            if r:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    return False
                self.log.write(chunk)
                self.buf += chunk
        self.buf = self.buf.split(want, 1)[1]
        return True

    def send(self, data):
        os.write(self.master, data)

    def wait(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                return rc
            # Keep draining output so kite never blocks writing to the pty.
            r, _, _ = select.select([self.master], [], [], 0.2)
            if r:
                try:
                    self.log.write(os.read(self.master, 65536))
                except OSError:
                    pass
        self.proc.kill()
        self.proc.wait()
        return None

    def restored(self):
        return termios.tcgetattr(self.slave) == self.before


def main():
    kite, kernel, initrd, bios, log = sys.argv[1:6]
    cmd = [kite, "run", "--kernel", kernel, "--initrd", initrd, "--bios", bios,
           "--append", "console=ttyS0"]

    # 1: Ctrl-A h, typing in raw mode, Ctrl-A x.
    t = Tty(cmd, log)
    up = t.expect("to power off", TIMEOUT)
    result(up, "reaches-shell", "no shell banner: see " + log)
    if up:
        raw_now = termios.tcgetattr(t.slave)
        result(not (raw_now[3] & termios.ICANON) and not (raw_now[3] & termios.ECHO),
               "raw-mode-while-running", "ICANON or ECHO still set")
        t.send(b"\x01h")
        result(t.expect("Ctrl-A x", 30), "ctrl-a-h-prints-help", "no help text")
        t.send(b"\x01d")
        result(t.expect("kite: machine state", 30) and t.expect("hart 0: pc", 30),
               "ctrl-a-d-dumps-state", "no machine state dump")
        # In raw mode the guest's tty does the echo and line editing; Enter is \r.
        t.send(b"echo A$((20+22))B\r")
        result(t.expect("A42B", 60), "typed-command-runs", "no A42B")
        t.send(b"\x01x")
        rc = t.wait(30)
        result(rc == 0, "ctrl-a-x-quits", f"exit {rc}")
        result(t.restored(), "terminal-restored-after-quit", "termios differs")
    else:
        t.proc.kill()

    # 2: SIGTERM while the guest runs: the terminal must still be put back.
    t = Tty(cmd, log)
    up = t.expect("Linux version", TIMEOUT)
    os.kill(t.proc.pid, signal.SIGTERM)
    rc = t.wait(30)
    result(up and rc is not None and t.restored(), "terminal-restored-after-sigterm",
           f"exit {rc}, restored={t.restored()}")

    # 3: Ctrl-A x while typed bytes wait that the guest never reads: firmware that is one
    # `j .` (0x0000006f) leaves the UART's 16-byte FIFO full. The escape must still work.
    spin = log + ".spin.bin"
    with open(spin, "wb") as f:
        f.write(bytes([0x6f, 0, 0, 0]))
    t = Tty([kite, "run", "--bios", spin], log)
    time.sleep(0.5)
    t.send(b"q" * 600 + b"\x01x")
    rc = t.wait(30)
    result(rc == 0 and t.restored(), "ctrl-a-x-quits-with-input-backlog",
           f"exit {rc}, restored={t.restored()}")

    # 4: SIGINT (kill -INT; the terminal's own Ctrl-C goes to the guest in raw mode).
    t = Tty(cmd, log)
    up = t.expect("Linux version", TIMEOUT)
    os.kill(t.proc.pid, signal.SIGINT)
    rc = t.wait(30)
    result(up and rc is not None and t.restored(), "terminal-restored-after-sigint",
           f"exit {rc}, restored={t.restored()}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Boots the default guest to its interactive shell, types commands on kite's console
(stdin), checks what the guest printed back, then powers off and checks kite exited 0.

usage: interactive.py KITE KERNEL INITRD BIOS LOGFILE
Prints PASS/FAIL lines in the format of tests/run-all.sh.
"""
import os
import select
import subprocess
import sys
import time

TIMEOUT = float(os.environ.get("KITE_GUEST_TIMEOUT", "300"))


class Console:
    def __init__(self, cmd, log_path):
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.buf = b""
        self.log = open(log_path, "wb")

    def expect(self, text, timeout):
        """Waits until `text` appears after what was already consumed; returns what came
        before it, or None on timeout or exit."""
        want = text.encode()
        deadline = time.monotonic() + timeout
        while want not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                return None
            self.log.write(chunk)
            self.log.flush()
            self.buf += chunk
        before, _, self.buf = self.buf.partition(want)
        return before.decode("utf-8", "replace")

    def send(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def wait(self, timeout):
        try:
            rest = self.proc.communicate(timeout=timeout)[0] or b""
            self.log.write(rest)
            return self.proc.returncode
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None


def result(ok, name, detail=""):
    print(f"{'PASS' if ok else 'FAIL'} guest.interactive.{name}" + (f" ({detail})" if detail and not ok else ""))
    sys.stdout.flush()


def main():
    kite, kernel, initrd, bios, log = sys.argv[1:6]
    con = Console([kite, "run", "--kernel", kernel, "--initrd", initrd, "--bios", bios,
                   "--append", "console=ttyS0"], log)
    # The banner /init prints just before it starts the shell.
    got_shell = con.expect("to power off", TIMEOUT) is not None
    result(got_shell, "reaches-shell", "no shell banner: see " + log)
    if not got_shell:
        con.proc.kill()
        return
    # Commands whose answers the host can compute; the markers keep the checks from
    # matching the echo of the command line itself.
    con.send("echo MARK-$((6*7))-END\n")
    out = con.expect("MARK-42-END\r\n", 60)
    result(out is not None, "arithmetic-echo", "no MARK-42-END")
    con.send("echo UNAME-$(uname -m)-END\n")
    result(con.expect("UNAME-riscv64-END", 60) is not None, "uname", "no UNAME-riscv64-END")
    con.send("seq 1 300 | tail -n 1 | sed 's/^/SEQ-/'\n")
    result(con.expect("SEQ-300", 60) is not None, "pipeline", "no SEQ-300")
    # A long line typed at once: the UART FIFO is small, so this needs back-pressure
    # (bytes wait on the host side) rather than dropping.
    long = "".join(chr(ord("a") + i % 26) for i in range(300))
    con.send(f"echo {long} | wc -c | sed 's/^/LEN-/'\n")
    result(con.expect("LEN-301", 60) is not None, "long-input-line-intact", "typed bytes were lost")
    # A guest reboot restarts the machine: a second boot reaches the shell again.
    con.send("reboot\n")
    rebooted = con.expect("Linux version", 120) is not None and \
        con.expect("to power off", TIMEOUT) is not None
    result(rebooted, "reboot-restarts-guest", "no second boot")
    con.send("poweroff\n")
    rc = con.wait(120)
    result(rc == 0, "poweroff-exits-0", f"exit {rc}")

    # With --no-reboot, a guest reboot ends kite with status 3.
    con = Console([kite, "run", "--no-reboot", "--kernel", kernel, "--initrd", initrd,
                   "--bios", bios, "--append", "console=ttyS0"], log + ".no-reboot")
    if con.expect("to power off", TIMEOUT) is not None:
        con.send("reboot\n")
        rc = con.wait(120)
    else:
        con.proc.kill()
        rc = "no shell"
    result(rc == 3, "no-reboot-exits-3", f"exit {rc}")


if __name__ == "__main__":
    main()

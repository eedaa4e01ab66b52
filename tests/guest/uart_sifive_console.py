#!/usr/bin/env python3
"""The SiFive UART as the interactive console (--uart sifive, console=ttySIF0): the guest
reaches its shell, a 4 KiB typed line arrives intact (its 8-byte receive FIFO holds the
host side back; nothing may be dropped), thousands of output lines arrive intact (counted
and checksummed here), and poweroff exits 0. Then --uart both: typed input reaches the
16550's shell and what the guest writes to ttySIF0 reaches kite's stdout too.

usage: uart_sifive_console.py KITE KERNEL INITRD BIOS LOGFILE
Prints PASS/FAIL lines in the format of tests/run-all.sh.
"""
import hashlib
import os
import random
import select
import subprocess
import sys
import time

TIMEOUT = float(os.environ.get("KITE_GUEST_TIMEOUT", "300"))
OUTPUT_LINES = 5000


class Console:
    def __init__(self, cmd, log_path):
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.buf = b""
        self.log = open(log_path, "wb")

    def expect(self, text, timeout):
        """Waits until `text` appears after what was already consumed; returns the bytes
        before it, or None on timeout or exit. A timeout only bounds a hang."""
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
        return before

    def send(self, data):
        self.proc.stdin.write(data if isinstance(data, bytes) else data.encode())
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
    print(f"{'PASS' if ok else 'FAIL'} guest.uart-sifive-console.{name}" +
          (f" ({detail})" if detail and not ok else ""))
    sys.stdout.flush()


def expected_output():
    """What the guest's awk prints below, as the host computes it."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(f"out {i:05d} {alphabet[i % 36:]}\n" for i in range(1, OUTPUT_LINES + 1))


def sifive_only(kite, kernel, initrd, bios, log):
    con = Console([kite, "run", "--kernel", kernel, "--initrd", initrd, "--bios", bios,
                   "--uart", "sifive", "--append", "console=ttySIF0"], log)
    up = con.expect("to power off", TIMEOUT) is not None
    result(up, "reaches-shell", "no shell banner on ttySIF0: see " + log)
    if not up:
        con.proc.kill()
        return
    con.send("cat /sys/class/tty/console/active | sed 's/^/ACTIVE-/'\n")
    got = con.expect("ACTIVE-ttySIF0", 60) is not None
    result(got, "console-is-ttySIF0", "no ACTIVE-ttySIF0")
    # Kernel messages share the console (a loaded host gets "hrtimer: interrupt took ...")
    # and would land inside the bytes compared below: keep all but emergencies off it.
    con.send("dmesg -n 1; echo QUIET-$((3*3))\n")
    result(con.expect("QUIET-9", 60) is not None, "printk-off-console", "no QUIET-9")

    # A line typed into the shell's own line editor (echoed back as it is typed).
    rng = random.Random(8)
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    short = "".join(rng.choice(letters) for _ in range(900))
    con.send(f"echo {short} | md5sum | sed \"s/^/ECHO$((1))SUM-/\"\n")
    want = hashlib.md5((short + "\n").encode()).hexdigest()
    digest = None
    if con.expect("ECHO1SUM-", 120) is not None:
        digest = con.expect("  -", 30)
    digest = digest.decode("ascii", "replace") if digest is not None else None
    result(digest == want, "typed-900-char-command",
           f"guest md5 {digest}, want {want}" if digest else "no answer")

    # 4 KiB typed at once into a reader (the tty in non-canonical mode has no line limit):
    # far more than the 8-byte FIFO, so it only arrives whole with back-pressure.
    line = "".join(rng.choice(letters) for _ in range(4096)) + "\n"
    con.send("stty -icanon -echo; echo RE$((0))ADY; head -c 4097 | md5sum | "
             "sed \"s/^/LINE$((2))SUM-/\"; stty icanon echo\n")
    ready = con.expect("RE0ADY", 60) is not None
    result(ready, "long-line-reader-ready", "no RE0ADY")
    if ready:
        con.send(line)
    want = hashlib.md5(line.encode()).hexdigest()
    # md5sum prints "<digest>  -": what comes between the marker and "  -" is the digest.
    digest = None
    if ready and con.expect("LINE2SUM-", 300) is not None:
        digest = con.expect("  -", 30)
    digest = digest.decode("ascii", "replace") if digest is not None else None
    result(digest == want, "typed-4k-line-intact",
           f"guest md5 {digest}, want {want}" if digest else "no answer: bytes lost or stuck")

    # Thousands of lines out: every one arrives, in order, unchanged.
    con.send("echo OUT-$((1+1))-BEGIN; awk 'BEGIN { a = \"abcdefghijklmnopqrstuvwxyz0123456789\"; "
             f"for (i = 1; i <= {OUTPUT_LINES}; i++) printf \"out %05d %s\\n\", i, "
             "substr(a, 1 + i % 36) }'; echo OUT-$((2+1))-END\n")
    began = con.expect("OUT-2-BEGIN\r\n", 60) is not None
    body = con.expect("OUT-3-END", 600) if began else None
    exp = expected_output()
    if body is None:
        result(False, "output-lines-intact", "no OUT-3-END marker")
    else:
        text = body.replace(b"\r\n", b"\n").decode("utf-8", "replace")
        n = text.count("\n")
        got_sum = hashlib.md5(text.encode()).hexdigest()
        want_sum = hashlib.md5(exp.encode()).hexdigest()
        result(n == OUTPUT_LINES, "output-line-count", f"{n} lines, want {OUTPUT_LINES}")
        result(got_sum == want_sum, "output-lines-intact",
               f"md5 {got_sum}, want {want_sum}")

    con.send("poweroff\n")
    rc = con.wait(120)
    result(rc == 0, "poweroff-exits-0", f"exit {rc}")


def both(kite, kernel, initrd, bios, log):
    con = Console([kite, "run", "--kernel", kernel, "--initrd", initrd, "--bios", bios,
                   "--uart", "both", "--append", "console=ttyS0"], log)
    up = con.expect("to power off", TIMEOUT) is not None
    result(up, "both-reaches-shell-on-ttyS0", "no shell banner: see " + log)
    if not up:
        con.proc.kill()
        return
    # Typed input goes to the 16550's shell; ttySIF0's output comes out on stdout too.
    con.send("echo SIF-$((5*5))-OUT > /dev/ttySIF0; echo SENT-$((6*6))\n")
    got = con.expect("SIF-25-OUT", 60) is not None
    result(got, "both-ttySIF0-output-on-stdout", "no SIF-25-OUT")
    con.send("poweroff\n")
    rc = con.wait(120)
    result(rc == 0, "both-poweroff-exits-0", f"exit {rc}")


def main():
    kite, kernel, initrd, bios, log = sys.argv[1:6]
    sifive_only(kite, kernel, initrd, bios, log)
    both(kite, kernel, initrd, bios, log + ".both")


if __name__ == "__main__":
    main()

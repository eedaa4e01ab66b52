#!/usr/bin/env python3
"""Host side of the virtio-net guest tests: servers on 127.0.0.1 only, all bounded in time.

usage: net_host.py DIR DEADLINE_SECONDS

Serves DIR/big.bin over HTTP, takes an upload (answering with its md5 and keeping it in
DIR/upload.md5), and keeps trying a hostfwd port (DIR/fwd.port) until the guest's server
answers (result in DIR/fwd.result). Writes the ports it bound to DIR/ports before anything
else, then runs until everything is done or the deadline passes.
"""
import hashlib
import http.server
import os
import socket
import sys
import threading
import time

d = sys.argv[1]
deadline = time.monotonic() + float(sys.argv[2])
token = open(os.path.join(d, "token")).read().strip()
guest_payload = "guest-says-" + token


class Quiet(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **kw):
        super().__init__(*a, directory=d, **kw)

    def log_message(self, *a):
        pass


http_srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
up = socket.socket()
up.bind(("127.0.0.1", 0))
up.listen(1)
up.settimeout(1.0)
with open(os.path.join(d, "ports.tmp"), "w") as f:
    f.write("%d %d\n" % (http_srv.server_address[1], up.getsockname()[1]))
os.rename(os.path.join(d, "ports.tmp"), os.path.join(d, "ports"))
threading.Thread(target=http_srv.serve_forever, daemon=True).start()


def write(name, text):
    with open(os.path.join(d, name), "w") as f:
        f.write(text + "\n")


def upload():
    while time.monotonic() < deadline:
        try:
            c, _ = up.accept()
        except socket.timeout:
            continue
        c.settimeout(60)
        h, n = hashlib.md5(), 0
        try:
            while True:
                b = c.recv(1 << 16)
                if not b:
                    break
                h.update(b)
                n += len(b)
            write("upload.md5", h.hexdigest())
            write("upload.size", str(n))
            c.sendall((h.hexdigest() + "\n").encode())
        except OSError as e:
            write("upload.error", str(e))
        c.close()
        return


def hostfwd():
    port = int(open(os.path.join(d, "fwd.port")).read())
    last = "never connected"
    while time.monotonic() < deadline:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall((token + "\n").encode())
            s.shutdown(socket.SHUT_WR)
            got = b""
            while len(got) < 4096:
                b = s.recv(4096)
                if not b:
                    break
                got += b
            s.close()
            last = "got %r" % got[:80]
            if got.decode(errors="replace").strip() == guest_payload:
                write("fwd.result", "ok")
                return
        except OSError as e:
            last = str(e)
        time.sleep(0.3)
    write("fwd.result", "failed: " + last)


threads = [threading.Thread(target=upload), threading.Thread(target=hostfwd)]
for t in threads:
    t.start()
for t in threads:
    t.join(max(0.0, deadline - time.monotonic()) + 1)
http_srv.shutdown()

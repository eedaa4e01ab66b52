#!/usr/bin/env python3
"""Host side of the virtio-net guest tests: servers on 127.0.0.1 only, all bounded in time.

usage: net_host.py DIR DEADLINE_SECONDS [ADDR HTTP_PORT UPLOAD_PORT]

Serves the files in DIR over HTTP, takes an upload (answering with its md5 and keeping it
in DIR/upload.md5), and, if DIR/fwd.port exists, keeps trying each hostfwd port it lists,
one after the other, until the guest's server behind it answers (result in
DIR/fwd.result). Binds 127.0.0.1 on free ports unless
told otherwise (the tap test binds an address in its own network namespace). Writes the
ports it bound to DIR/ports before anything else, then runs until everything is done or
the deadline passes.
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
addr, http_port, up_port = "127.0.0.1", 0, 0
if len(sys.argv) > 3:
    addr, http_port, up_port = sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
fwd = os.path.exists(os.path.join(d, "fwd.port"))
token = open(os.path.join(d, "token")).read().strip() if fwd else ""
guest_payload = "guest-says-" + token


class Quiet(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **kw):
        super().__init__(*a, directory=d, **kw)

    def log_message(self, *a):
        pass


http_srv = http.server.ThreadingHTTPServer((addr, http_port), Quiet)
up = socket.socket()
up.bind((addr, up_port))
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


def hostfwd_one(port):
    """"ok", or what went wrong last, once the guest answered at port or time ran out."""
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
                return "ok"
        except OSError as e:
            last = str(e)
        time.sleep(0.3)
    return "port %d failed: %s" % (port, last)


def hostfwd():
    for port in open(os.path.join(d, "fwd.port")).read().split():
        result = hostfwd_one(int(port))
        if result != "ok":
            break
    write("fwd.result", result)


threads = [threading.Thread(target=upload)]
if fwd:
    threads.append(threading.Thread(target=hostfwd))
for t in threads:
    t.start()
for t in threads:
    t.join(max(0.0, deadline - time.monotonic()) + 1)
http_srv.shutdown()

#!/bin/sh
# bench/9p: kite vs QEMU on the "9p" suite of bench/run.py: a host folder shared over
# virtio-9p (kite --share DIR,security=mapped vs QEMU -fsdev local,security_model=mapped-xattr
# with virtio-9p-device, both at msize 512000 as /init mounts them): untar of 2,000 small
# files into the share, find + stat over 10,000 entries, 256 MiB sequential write and read.
cd "$(dirname "$0")/.." || exit 1
exec python3 bench/run.py --suites 9p "$@"

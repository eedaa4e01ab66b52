#!/bin/sh
# bench/blk: kite vs QEMU on the "blk" suite of bench/run.py (virtio-blk on a raw image:
# sequential 1 MiB O_DIRECT write and read, 4 KiB random reads), then the host CPU that
# kite's device path spends per request (bench/blk/devpath).
cd "$(dirname "$0")/.." || exit 1
python3 bench/run.py --suites blk "$@" || exit 1
exec bench/blk/devpath.sh

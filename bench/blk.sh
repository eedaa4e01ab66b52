#!/bin/sh
# bench/blk: kite vs QEMU on the "blk" and "blk-pci" suites of bench/run.py (virtio-blk on
# a raw image, on virtio-mmio and on virtio-pci: sequential 1 MiB O_DIRECT write and read,
# 4 KiB random reads), then the host CPU that kite's device path spends per request
# (bench/blk/devpath).
cd "$(dirname "$0")/.." || exit 1
python3 bench/run.py --suites blk,blk-pci "$@" || exit 1
exec bench/blk/devpath.sh

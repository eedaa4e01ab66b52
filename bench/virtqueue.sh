#!/bin/sh
# bench/virtqueue: ns per request through kite's virtio-mmio + VirtIO core + split queue, in
# process, with a simulated driver (see bench/virtqueue.c). No QEMU peer. Builds it first.
#   usage: bench/virtqueue.sh [--count N] [--rounds N]
set -e
cd "$(dirname "$0")/.."
make --no-print-directory -s bench-build
exec "${BUILD:-build}/bench/virtqueue" "$@"

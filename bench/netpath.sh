#!/bin/sh
# bench/netpath: host CPU per frame through kite's virtio-net device path, in process, with a
# simulated driver and a null backend (see bench/netpath.c). No QEMU peer. Builds it first.
#   usage: bench/netpath.sh [--count N] [--rounds N]
set -e
cd "$(dirname "$0")/.."
make --no-print-directory -s bench-build
exec "${BUILD:-build}/bench/netpath" "$@"

#!/bin/sh
# `make bench`: every benchmark, kite against QEMU in the same run: bench/run.py's suites
# (boot, CPU, idle, block on both transports, 9P, and the in-process device paths), then
# networking (bench/net.sh).
set -e
cd "$(dirname "$0")/.."
python3 bench/run.py "$@"
bench/net.sh

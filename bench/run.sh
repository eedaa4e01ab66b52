#!/bin/sh
# `make bench`: every benchmark, kite against QEMU in the same run.
set -e
cd "$(dirname "$0")/.."
exec python3 bench/run.py "$@"

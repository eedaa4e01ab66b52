#!/bin/sh
# bench/boot: kite vs QEMU on the "boot" suite of bench/run.py (see there).
cd "$(dirname "$0")/.." && exec python3 bench/run.py --suites boot "$@"

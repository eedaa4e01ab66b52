#!/bin/sh
# bench/idle: kite vs QEMU on the "idle" suite of bench/run.py (see there).
cd "$(dirname "$0")/.." && exec python3 bench/run.py --suites idle "$@"

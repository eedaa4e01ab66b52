#!/bin/sh
# bench/fp: kite vs QEMU on the "fp" suite of bench/run.py (see there).
cd "$(dirname "$0")/.." && exec python3 bench/run.py --suites fp "$@"

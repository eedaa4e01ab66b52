#!/bin/sh
# bench/cpu: kite vs QEMU on the "cpu" suite of bench/run.py (see there).
cd "$(dirname "$0")/.." && exec python3 bench/run.py --suites cpu "$@"

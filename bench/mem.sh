#!/bin/sh
# bench/mem: kite vs QEMU on the "mem" suite of bench/run.py (see there).
cd "$(dirname "$0")/.." && exec python3 bench/run.py --suites mem "$@"

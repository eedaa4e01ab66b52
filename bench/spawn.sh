#!/bin/sh
# bench/spawn: kite vs QEMU on the "spawn" suite of bench/run.py (see there).
cd "$(dirname "$0")/.." && exec python3 bench/run.py --suites spawn "$@"

#!/bin/sh
# Builds the MIPS benchmark: bench/mips/*.c,S -> OUTDIR/mips.elf.
#   usage: bench/mips/build.sh [OUTDIR]  (default build/bench); ROUNDS=n scales the work (3000: about 1.1e9 instructions)
set -e
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-build/bench}
cc=${RISCV_CC:-riscv64-unknown-elf-gcc}
mkdir -p "$out"
$cc -O2 -march=rv64gc -mabi=lp64d -mcmodel=medany -nostdlib -nostartfiles -static \
    -ffreestanding -fno-builtin -DROUNDS="${ROUNDS:-3000}" -T"$here/link.ld" \
    -o "$out/mips.elf" "$here/start.S" "$here/bench.c"
echo "$out/mips.elf"

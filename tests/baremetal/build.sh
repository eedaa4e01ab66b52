#!/bin/sh
# Builds every bare-metal test: tests/baremetal/NAME.S -> OUTDIR/NAME.elf (+ NAME.dump).
#   usage: tests/baremetal/build.sh [OUTDIR]      (default: build/baremetal)
# Override the compiler with RISCV_CC=... if it is not riscv64-unknown-elf-gcc.
# STRICT=1 builds with -DSTRICT_SPEC: the few checks where QEMU 7.2 (the oracle) departs from
# the spec then demand the spec's answer instead of also accepting QEMU's.
set -e
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-build/baremetal}
cc=${RISCV_CC:-riscv64-unknown-elf-gcc}
objdump=${RISCV_OBJDUMP:-$(echo "$cc" | sed 's/gcc$/objdump/')}
mkdir -p "$out"

# -mno-relax: the tests count on exactly the instructions written (no linker rewriting).
flags="${STRICT:+-DSTRICT_SPEC }-march=rv64gc -mabi=lp64d -nostdlib -nostartfiles -static -mno-relax -I$here -T$here/link.ld"

for src in "$here"/*.S; do
    name=$(basename "$src" .S)
    $cc $flags -o "$out/$name.elf" "$src"
    if command -v "$objdump" >/dev/null 2>&1; then
        "$objdump" -d "$out/$name.elf" > "$out/$name.dump"
    fi
    echo "built $out/$name.elf"
done

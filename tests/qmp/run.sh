#!/bin/bash
# QMP against QEMU as an oracle (tests/qmp/oracle.py): the same conversation with kite and
# with qemu-system-riscv64, both on a machine whose firmware just spins, and the reply
# shapes and error classes compared. Prints PASS/FAIL lines, or SKIP without QEMU.
set -u
cd "$(dirname "$0")/../.."
KITE=${KITE:-build/kite}
QEMU=${QEMU:-qemu-system-riscv64}
if ! command -v "$QEMU" > /dev/null 2>&1; then
    echo "SKIP qmp-oracle: no $QEMU (Debian package qemu-system-misc)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# "j ." at the start of RAM: both machines run, neither does anything.
printf '\x6f\x00\x00\x00' > "$tmp/spin.bin"
python3 tests/qmp/oracle.py \
    "$KITE" run --bios "$tmp/spin.bin" --qmp @SOCK@ -- \
    "$QEMU" -M virt -m 64M -nodefaults -display none -serial none -monitor none -nic none \
    -bios "$tmp/spin.bin" -qmp unix:@SOCK@,server=on,wait=off

#!/bin/bash
# QMP on a machine whose firmware just spins:
#   tests/qmp/robust.py  hostile and careless clients (malformed JSON, half a command, a
#                        line of megabytes, one that never reads, too many) against kite
#   tests/qmp/oracle.py  the same conversation with kite and with qemu-system-riscv64, the
#                        reply shapes and error classes compared (SKIP without QEMU)
# Prints PASS/FAIL lines.
set -u
cd "$(dirname "$0")/../.."
KITE=${KITE:-${BUILD:-build}/kite}
QEMU=${QEMU:-qemu-system-riscv64}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# "j ." at the start of RAM: both machines run, neither does anything.
printf '\x6f\x00\x00\x00' > "$tmp/spin.bin"
truncate -s 1M "$tmp/disk.img"
# A driver that dies half way prints no FAIL for the checks it never reached: its exit
# status is a check of its own.
python3 tests/qmp/robust.py "$KITE" "$tmp/spin.bin" "$tmp/disk.img" ||
    echo "FAIL qmp-robust (robust.py exited $?: see its traceback above)"
# The socket file appears only once kite accepts connections. listen() held back for a
# second (strace's fault injection) opens the window a client that connects as soon as
# the file exists would fall into if the file came first.
if command -v strace > /dev/null 2>&1; then
    strace -f -qq -o /dev/null -e trace=listen -e inject=listen:delay_enter=1000000 \
        "$KITE" run --bios "$tmp/spin.bin" --qmp "$tmp/early.sock" > "$tmp/early.log" 2>&1 \
        < /dev/null &
    if python3 - "$tmp/early.sock" <<'PY'
import os, socket, sys, time
path = sys.argv[1]
deadline = time.time() + 60
while not os.path.exists(path):
    if time.time() > deadline:
        sys.exit("no socket file within 60 s")
    time.sleep(0.0005)
s = socket.socket(socket.AF_UNIX)
s.connect(path)  # refused if nothing listens yet
s.settimeout(30)
sys.exit(0 if b'"QMP"' in s.recv(200) else "no greeting")
PY
    then
        echo "PASS qmp-socket-ready-once-it-exists"
    else
        echo "FAIL qmp-socket-ready-once-it-exists (connect as soon as the file existed failed)"
    fi
    pkill -f -- "--qmp $tmp/early.sock"
    wait
    ls "$tmp" | grep -q '\.tmp$' && echo "FAIL qmp-socket-no-temporary-left ($(ls "$tmp"))" ||
        echo "PASS qmp-socket-no-temporary-left"
else
    echo "SKIP qmp-socket-ready-once-it-exists: no strace (Debian package strace)"
fi
if ! command -v "$QEMU" > /dev/null 2>&1; then
    echo "SKIP qmp-oracle: no $QEMU (Debian package qemu-system-misc)"
    exit 0
fi
python3 tests/qmp/oracle.py \
    "$KITE" run --bios "$tmp/spin.bin" --input keyboard --input tablet --qmp @SOCK@ -- \
    "$QEMU" -M virt -m 64M -nodefaults -display none -serial none -monitor none -nic none \
    -bios "$tmp/spin.bin" -global virtio-mmio.force-legacy=false \
    -device virtio-keyboard-device -device virtio-tablet-device \
    -qmp unix:@SOCK@,server=on,wait=off ||
    echo "FAIL qmp-oracle (oracle.py exited $?: see its traceback above)"

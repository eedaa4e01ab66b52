#!/bin/sh
# Builds the in-guest floating-point benchmark and packs it as a cpio that puts it at
# /bin/kite-fpbench (appended to the guest initramfs by bench/run.py).
#   usage: bench/fp/build.sh OUT.cpio
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$1
case "$out" in /*) ;; *) out=$(pwd)/$out ;; esac
CC=${RISCV_LINUX_CC:-riscv64-linux-gnu-gcc}
command -v "$CC" >/dev/null 2>&1 ||
    { echo "$0: $CC is missing (Debian package gcc-riscv64-linux-gnu)" >&2; exit 1; }
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/bin"
"$CC" -static -O2 -Wall -Wextra -Werror -o "$stage/bin/kite-fpbench" "$here/fpbench.c" -lm
(cd "$stage" && find bin | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$out"

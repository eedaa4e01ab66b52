#!/bin/sh
# Packs the guest test scripts (DIR/*.sh except run.sh) into an uncompressed newc cpio that puts them
# under /tests/. The harness boots with initrd = base initramfs + this archive
# (the kernel unpacks concatenated cpio archives in order), and kite.test=NAME
# makes /init run /tests/NAME.sh.
#
# usage: guest/mk-tests-cpio.sh OUT.cpio [DIR]    (DIR defaults to tests/guest)
#
# To boot QEMU or kite with it:
#   cat ~/.cache/kite/guest-current/initramfs.cpio OUT.cpio > initrd.cpio
set -eu

[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 OUT.cpio [DIR]" >&2; exit 1; }
command -v cpio >/dev/null 2>&1 ||
    { echo "$0: cpio is missing (Debian package cpio; run scripts/install-deps.sh)" >&2; exit 1; }

out=$1
dir=${2:-$(cd "$(dirname "$0")/.." && pwd)/tests/guest}
[ -d "$dir" ] || { echo "$0: no directory $dir" >&2; exit 1; }
case "$out" in /*) ;; *) out=$(pwd)/$out ;; esac

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/tests"
n=0
for f in "$dir"/*.sh; do
    [ -f "$f" ] || continue
    # tests/guest/run.sh is the host-side harness (tests/run-all.sh runs it), not a
    # guest test.
    [ "${f##*/}" != run.sh ] || continue
    cp "$f" "$stage/tests/"
    chmod 755 "$stage/tests/${f##*/}"
    n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "$0: no *.sh in $dir" >&2; exit 1; }

# Helper programs the scripts run (DIR/bin/*.c), built static for the riscv64 guest. Without
# the cross compiler they are left out, and a script that needs one reports a FAIL.
cc=${RISCV_LINUX_CC:-riscv64-linux-gnu-gcc}
if ls "$dir"/bin/*.c >/dev/null 2>&1; then
    if command -v "$cc" >/dev/null 2>&1; then
        mkdir -p "$stage/tests/bin"
        for c in "$dir"/bin/*.c; do
            prog=$(basename "$c" .c)
            "$cc" -static -O2 -Wall -Wextra -Werror -o "$stage/tests/bin/$prog" "$c" ||
                { echo "$0: cannot build $c" >&2; exit 1; }
        done
    else
        echo "$0: $cc is missing (Debian package gcc-riscv64-linux-gnu): no /tests/bin" >&2
    fi
fi

# Write to a temporary name first so a reader never sees half an archive.
(cd "$stage" && find tests | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$out.tmp.$$"
mv "$out.tmp.$$" "$out"

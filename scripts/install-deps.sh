#!/bin/sh
# Installs the Debian packages kite needs to build, test, and assemble its guest.
# Safe to run repeatedly: it does nothing when everything is present.
set -e

PKGS="build-essential pkg-config libfdt-dev device-tree-compiler liburing-dev libcmocka-dev
libjansson-dev
clang lld llvm libclang-rt-14-dev gcc-riscv64-unknown-elf gcc-riscv64-linux-gnu
qemu-system-misc libslirp-dev cpio xz-utils zstd e2fsprogs debian-archive-keyring python3 bc
strace"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "kite: missing Debian packages:$missing" >&2
    echo "kite: run as root, or: sudo apt-get install -y$missing" >&2
    exit 1
fi
echo "kite: installing:$missing"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing

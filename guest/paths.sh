#!/bin/sh
# Prints shell assignments for the default guest that guest/build.sh cached:
#   eval "$(guest/paths.sh)"  ->  KITE_KERNEL, KITE_INITRD, KITE_BIOS, KITE_GUEST_DIR
# The paths go through the guest-current symlink to the concrete guest-<key>
# directory, so a later rebuild does not change the files under a running user.
# Exits 1, printing nothing on stdout, when there is no complete cached guest.
set -eu

cache=${KITE_CACHE:-${HOME:?HOME is not set}/.cache/kite}
dir=$(readlink -f "$cache/guest-current" 2>/dev/null) || dir=
for f in Image initramfs.cpio fw_dynamic.bin; do
    if [ -z "$dir" ] || [ ! -s "$dir/$f" ]; then
        echo "kite: no cached guest in $cache (run guest/build.sh or make guest)" >&2
        exit 1
    fi
done

# Quote for eval: a path with a single quote in it is escaped as '\''.
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
echo "export KITE_GUEST_DIR=$(q "$dir")"
echo "export KITE_KERNEL=$(q "$dir/Image")"
echo "export KITE_INITRD=$(q "$dir/initramfs.cpio")"
echo "export KITE_BIOS=$(q "$dir/fw_dynamic.bin")"

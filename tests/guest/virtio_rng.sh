#!/bin/sh
# Guest test "virtio_rng": a virtio-rng device on virtio-mmio, driven by Linux's virtio_rng.
# kite-args: --rng
# Output: "TEST <name> PASS|FAIL <detail>" per check, "TESTS DONE" at the end.

. /tests/lib.sh

# The transport found exactly one device, and it is an entropy source (ID 4).
ids=$(cat /sys/bus/virtio/devices/*/device 2>/dev/null | tr '\n' ' ')
check virtio-device-id "devices: ${ids:-none}" has "$ids" 0x0004
dev=$(ls -d /sys/bus/virtio/devices/virtio* 2>/dev/null | head -n1)
vendor=$(cat "$dev/vendor" 2>/dev/null)
check virtio-vendor "vendor=$vendor (want $(virtio_vendor))" eq "$vendor" "$(virtio_vendor)"
drv=$(basename "$(readlink "$dev/driver" 2>/dev/null)" 2>/dev/null)
check virtio-driver-bound "driver=${drv:-none}" eq "$drv" virtio_rng
# Features the driver negotiated: bit 32 (VERSION_1) must be set; 28/29 (indirect, event
# idx) are offered and Linux takes them.
feat=$(cat "$dev/features" 2>/dev/null)
check virtio-features "features=$feat" eq "$(echo "$feat" | cut -c29-30)$(echo "$feat" | cut -c33)" 111

cur=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null ||
      cat /sys/devices/virtual/misc/hw_random/rng_current 2>/dev/null)
check hwrng-current "rng_current=$cur" has "$cur" virtio_rng

a=$(dd if=/dev/hwrng bs=64 count=1 2>/dev/null | od -An -v -tx1 | tr -d ' \n')
b=$(dd if=/dev/hwrng bs=64 count=1 2>/dev/null | od -An -v -tx1 | tr -d ' \n')
check hwrng-read-length "read ${#a} hex digits" eq "${#a}" 128
check hwrng-read-second-length "read ${#b} hex digits" eq "${#b}" 128
check hwrng-reads-differ "$(echo "$a" | cut -c1-16)... vs $(echo "$b" | cut -c1-16)..." ne "$a" "$b"

# A bigger read (more than one request) completes and is not all zeros.
big=$(dd if=/dev/hwrng bs=4096 count=4 2>/dev/null | wc -c)
check hwrng-read-16k "read $big bytes" eq "$big" 16384
zeros=$(dd if=/dev/hwrng bs=4096 count=1 2>/dev/null | od -An -v -tx1 | tr -s ' ' '\n' | grep -c '^00$')
# 4096 random bytes hold about 16 zero bytes; 100 would be absurd.
check hwrng-not-zero "zero bytes in 4096: $zeros" [ "$zeros" -lt 100 ]

bad=$(dmesg | grep -E -m1 'virtio.*(error|fail|broken)|Oops|BUG:|WARNING:' || true)
check dmesg-clean "${bad:-no virtio errors}" eq "$bad" ""

transport_checks
echo "TESTS DONE"

#!/bin/sh
# Guest test "virtio_rng_limit": the rate limit of --rng holds against a reading guest.
# kite-args: --rng rate=2K,burst=256
# 2048 bytes/s with a 256-byte bucket: 6 KiB cannot arrive in less than
# (6144 - 256) / 2048 = 2.9 s (the kernel's hwrng thread competes for the same bytes, so
# it may take longer, but never less).

. /tests/lib.sh

cur=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)
check hwrng-current "rng_current=$cur" eq "${cur%%.*}" virtio_rng

t0=$(cut -d' ' -f1 /proc/uptime | tr -d .)
n=$(dd if=/dev/hwrng bs=1024 count=6 2>/dev/null | wc -c)
t1=$(cut -d' ' -f1 /proc/uptime | tr -d .)
ms=$(( (t1 - t0) * 10 ))
check limited-read-complete "read $n bytes" eq "$n" 6144
check limited-read-slow "6 KiB took ${ms} ms (>= 2800 expected at 2 KiB/s)" num_between "$ms" 2800 60000

transport_checks
echo "TESTS DONE"

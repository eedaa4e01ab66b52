#!/bin/sh
# Guest test "virtio_rng_limit": the rate limit of --rng holds against a reading guest, and
# a bucket smaller than the driver's 64-byte buffer still fills each request whole.
# kite-args: --rng rate=2K,burst=48
# 2048 bytes/s with a 48-byte bucket: 6 KiB cannot arrive in less than
# (6144 - 48) / 2048 = 2.97 s (the kernel's hwrng thread competes for the same bytes, so
# it may take longer, but never less). A 48-byte fill of Linux's 64-byte buffer left its
# driver waiting with no request posted (see src/virtio/rng.c): the read hung for good.

. /tests/lib.sh

cur=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)
check hwrng-current "rng_current=$cur" eq "${cur%%.*}" virtio_rng

# A hang is bounded (a 60 s guard, twenty times the expected time), so it fails here with
# its count rather than as a missing line after the harness's timeout.
t0=$(uptime_cs)
n=$(timeout -s KILL 60 dd if=/dev/hwrng bs=1024 count=6 2>/dev/null | wc -c)
t1=$(uptime_cs)
ms=$(( (t1 - t0) * 10 ))
check limited-read-complete "read $n bytes" eq "$n" 6144
check limited-read-slow "6 KiB took ${ms} ms (>= 2800 expected at 2 KiB/s)" num_between "$ms" 2800 60000

transport_checks
echo "TESTS DONE"

#!/bin/sh
# Guest test "icount": a boot under --icount (deterministic mode). Besides its checks it
# prints what depends on time, interrupts and host I/O (dmesg with its timestamps,
# /proc/interrupts, /proc/uptime, the RTC, disk and hwrng bytes): tests/guest/icount.host
# boots the same command line again, and on the interpreter twice, and requires each pair
# of consoles to be byte-identical.
# kite-args: --irqchip plic --icount --rng rate=64K,burst=1K --disk "@WORK@/disk.img,snapshot"

. /tests/lib.sh

# The RTC starts at 2024-01-01T00:00:00Z, and a boot is seconds of guest time.
day=$(date -u +%Y-%m-%d)
check rtc-epoch "date=$day" eq "$day" 2024-01-01

# Block I/O in both directions (the snapshot keeps the image as it was): reads, then
# writes of hwrng bytes that must land whole, flushed.
sum=$(md5sum < /dev/vda | cut -d' ' -f1)
want=$(seq 1 200000 | head -c 1048576 | md5sum | cut -d' ' -f1)
check disk-read "md5=$sum" eq "$sum" "$want"
# The rng's token bucket fills on guest time: 8 KiB at 64 KiB/s past a 1 KiB burst takes
# at least 109 ms of it (the kernel's hwrng thread competes, so maybe more).
t0=$(uptime_cs)
dd if=/dev/hwrng of=/tmp/rng bs=512 count=16 2>/dev/null
t1=$(uptime_cs)
n=$(wc -c < /tmp/rng)
check hwrng-read "bytes=$n" eq "$n" 8192
ms=$(( (t1 - t0) * 10 ))
check hwrng-rate "8 KiB took $ms ms of guest time (>= 100 expected)" num_between "$ms" 100 60000
dd if=/tmp/rng of=/dev/vda bs=4096 seek=8 conv=fsync 2>/dev/null
echo 3 > /proc/sys/vm/drop_caches
back=$(dd if=/dev/vda bs=4096 skip=8 count=2 2>/dev/null | md5sum | cut -d' ' -f1)
rng=$(md5sum < /tmp/rng | cut -d' ' -f1)
check disk-write "wrote $rng read $back" eq "$back" "$rng"

# Guest time passes while the guest sleeps (wfi skips ahead to the timer, it does not stop).
before=$(cut -d' ' -f1 /proc/uptime)
sleep 1
after=$(cut -d' ' -f1 /proc/uptime)
slept=$(awk -v a="$before" -v b="$after" 'BEGIN { printf "%d", (b - a) * 100 + 0.5 }')
check sleep-advances "uptime $before -> $after" num_between "$slept" 100 150

# For the host's comparison of two runs: everything here must replay exactly.
echo "=== hwrng $rng"
echo "=== uptime $(cat /proc/uptime)"
echo "=== date $(date -u '+%Y-%m-%d %H:%M:%S')"
echo "=== interrupts"
cat /proc/interrupts
echo "=== dmesg"
dmesg
echo "=== end"
echo "TESTS DONE"

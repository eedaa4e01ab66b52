#!/bin/sh
# Guest test "boot": runs inside the guest (busybox sh) after /init has mounted
# the usual filesystems. Boot with kite.test=boot. One line per check:
#   TEST <name> PASS|FAIL <detail>
# and "TESTS DONE" at the end. Expected values were computed on the host.

. /tests/lib.sh

arch=$(uname -m)
check uname-m "uname -m=$arch" eq "$arch" riscv64

# One "processor" block per hart, each with a "hart : <hartid>" and an
# "isa : rv64..." line.
harts=$(grep -c '^processor' /proc/cpuinfo)
hart0=$(sed -n 's/^hart[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n1)
isa=$(sed -n 's/^isa[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n1)
check cpuinfo-hart "processors=$harts first hart=$hart0" num_between "${hart0:-x}" 0 4095
check cpuinfo-harts "processors=$harts" num_between "$harts" 1 1024
check cpuinfo-isa "isa=$(echo "$isa" | cut -c1-60)" has_prefix "$isa" rv64i
# Sstc from the device tree: Linux programs stimecmp itself, no firmware round trip.
check cpuinfo-sstc "isa=$isa" has "${isa}_" _sstc_
timer=$(dmesg | grep -m1 'riscv-timer' || true)
check timer-via-sstc "${timer:-no riscv-timer line}" has "$timer" "via sstc"

# Shell arithmetic (64-bit) and a pipeline through several processes.
arith=$(( (1 << 40) + 12345 * 6789 - 7 % 3 ))
check shell-arith "got $arith" eq "$arith" 1099595437980
sum=$(seq 1 1000 | md5sum | cut -d' ' -f1)
check pipeline-md5 "seq 1 1000 | md5sum = $sum" eq "$sum" 53d025127ae99ab79e8502aae2d9bea6

# Compression round trip: a longer run of real work in user mode.
sum=$(seq 1 5000 | gzip -c | gunzip -c | md5sum | cut -d' ' -f1)
check gzip-roundtrip "md5=$sum" eq "$sum" a5a208cd26b07cadade3450fe14d1d93

# Floating point through awk (doubles; exercises the F/D extensions).
root2=$(awk 'BEGIN { printf "%.6f", 22 / 7 * 1.5 }')
check float-awk "awk 22/7*1.5=$root2" eq "$root2" 4.714286

memtotal=$(sed -n 's/^MemTotal:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/meminfo)
# Between 16 MiB and 1 TiB, in kB.
check meminfo "MemTotal=${memtotal}kB" num_between "$memtotal" 16384 1073741824

# A few busybox applets, each with a known output.
out=$(echo hello world | tr a-z A-Z | sed 's/WORLD/KITE/')
check applet-tr-sed "got '$out'" eq "$out" "HELLO KITE"
out=$(printf 'pear\napple\nfig\n' | sort | head -n1)
check applet-sort "got '$out'" eq "$out" apple
out=$(printf kite | sha256sum | cut -d' ' -f1)
check applet-sha256 "got $out" eq "$out" 8e8c7d42b456c9e4ec52e545b201fffc003ace9b7a32a44ac646b4679f99b00b
out=$(echo 'a:b:c' | awk -F: '{ print $3 $2 $1 }')
check applet-awk "got '$out'" eq "$out" cba

# Wall clock: needs an RTC (QEMU virt: goldfish) read at boot.
year=$(date +%Y)
check date-year "date=$(date '+%Y-%m-%dT%H:%M:%S')" num_between "$year" 2025 2200

# Time moves forward: two reads of the monotonic uptime a little sleep apart.
t0=$(uptime_cs)
sleep 1
t1=$(uptime_cs)
check uptime-advances "uptime ${t0}0ms -> ${t1}0ms over sleep 1" num_between "$((t1 - t0))" 90 300

# The filesystems /init mounts.
mounts=$(awk '{ print $2 ":" $3 }' /proc/mounts | tr '\n' ' ')
m_ok=1
for m in /proc:proc /sys:sysfs /dev:devtmpfs /tmp:tmpfs /run:tmpfs; do
    case " $mounts" in *" $m "*) ;; *) m_ok= ;; esac
done
check mounts "$mounts" eq "$m_ok" 1

# Nothing went wrong in the kernel so far.
tainted=$(cat /proc/sys/kernel/tainted)
check kernel-untainted "tainted=$tainted" eq "$tainted" 0
bad=$(dmesg | grep -E -m1 'Oops|BUG:|WARNING:|Call Trace|segfault|Unable to handle' || true)
check dmesg-clean "${bad:-no oops/bug/warning}" eq "$bad" ""

echo "TESTS DONE"

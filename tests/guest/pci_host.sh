#!/bin/sh
# Guest test "pci_host": --transport pci adds a generic ECAM PCIe host bridge; Linux's
# pci-host-ecam-generic driver binds from the device tree, takes the three windows from
# `ranges` and finds the bridge function at 00:00.0 and nothing else.
# kite-args: --transport pci

. /tests/lib.sh

dev=/sys/bus/pci/devices/0000:00:00.0
vendor=$(cat $dev/vendor 2>/dev/null)
check bridge-vendor "vendor=${vendor:-none}" eq "$vendor" 0x1b36
device=$(cat $dev/device 2>/dev/null)
check bridge-device "device=${device:-none}" eq "$device" 0x0008
class=$(cat $dev/class 2>/dev/null)
check bridge-class "class=${class:-none}" eq "$class" 0x060000
# Absent functions and buses read all-ones: anything else shows up as phantom devices.
all=$(ls /sys/bus/pci/devices 2>/dev/null | tr '\n' ' ')
check only-bridge "devices: ${all:-none}" eq "$all" "0000:00:00.0 "
# The raw config space as the kernel reads it through ECAM.
head=$(od -An -tx1 -N4 $dev/config 2>/dev/null | tr -d ' \n')
check config-bytes "first bytes: ${head:-none}" eq "$head" 361b0800

log=$(dmesg)
probe=$(echo "$log" | grep -m1 'pci-host-generic 30000000.pci' || true)
check ecam-driver-probed "${probe:-no pci-host-generic line}" has "$probe" 30000000.pci
ecam=$(echo "$log" | grep -m1 'ECAM at' || true)
check ecam-window "${ecam:-none}" has "$ecam" "ECAM at [mem 0x30000000-0x3fffffff] for [bus 00-ff]"
io=$(echo "$log" | grep -m1 ' IO 0x' || true)
check io-window "${io:-none}" has "$io" "IO 0x0003000000..0x000300ffff -> 0x0000000000"
mem32=$(echo "$log" | grep -m1 'MEM 0x0040000000' || true)
check mem32-window "${mem32:-none}" has "$mem32" "MEM 0x0040000000..0x007fffffff -> 0x0040000000"
mem64=$(echo "$log" | grep -m1 'MEM 0x0400000000' || true)
check mem64-window "${mem64:-none}" has "$mem64" "MEM 0x0400000000..0x07ffffffff -> 0x0400000000"
root=$(echo "$log" | grep -m1 'PCI host bridge to bus 0000:00' || true)
check root-bus "${root:-none}" has "$root" "bus 0000:00"

bad=$(echo "$log" | grep -E -m1 'pci.*(error|fail|BAR .* invalid)|Oops|BUG:|WARNING:' || true)
check dmesg-clean "${bad:-no PCI errors}" eq "$bad" ""

echo "TESTS DONE"

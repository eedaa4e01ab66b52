#!/bin/sh
# Guest test "aia_interrupts": under --irqchip aia the kernel drives the IMSIC and the APLIC,
# the virtio-mmio devices' wired interrupts reach it as MSIs through the APLIC's S domain,
# and their counts in /proc/interrupts grow as the devices are used.
# kite-args: --irqchip aia --rng --disk "@WORK@/d.img"
# Output: "TEST <name> PASS|FAIL <detail>" per check, "TESTS DONE" at the end.

. /tests/lib.sh

cat /proc/interrupts
isa=$(grep -m1 '^isa' /proc/cpuinfo)
check isa-ssaia "$isa" has "$isa" _ssaia
# The disk is virtio0 (disks come first), the rng virtio1.
count() { awk -v d="$1" '$NF == d { print $2 }' /proc/interrupts; }
chip() { awk -v d="$1" '$NF == d { print $3 }' /proc/interrupts; }
blk_chip=$(chip virtio0)
rng_chip=$(chip virtio1)
check blk-on-aplic "virtio0 on ${blk_chip:-nothing}" has_prefix "$blk_chip" APLIC-MSI
check rng-on-aplic "virtio1 on ${rng_chip:-nothing}" has_prefix "$rng_chip" APLIC-MSI
# The S-level IMSIC with the identities the device tree gives it, at kite's address.
imsic=$(dmesg | grep -m1 'riscv-imsic: .*per-CPU IDs')
check imsic-found "${imsic:-no riscv-imsic line}" has "$imsic" "per-CPU IDs 255 at base address 0x0000000028000000"

b0=$(count virtio0)
dd if=/dev/vda of=/dev/null bs=4096 count=64 iflag=direct 2>/dev/null
b1=$(count virtio0)
check blk-count-grows "virtio0: $b0 -> $b1" [ "${b1:-0}" -gt "${b0:-0}" ]
n=$(dd if=/dev/vda bs=4096 count=256 iflag=direct 2>/dev/null | wc -c)
check blk-reads-through-msi "read $n bytes" eq "$n" 1048576

r0=$(count virtio1)
n=$(dd if=/dev/hwrng bs=64 count=8 2>/dev/null | wc -c)
r1=$(count virtio1)
check rng-reads-through-msi "read $n bytes" eq "$n" 512
check rng-count-grows "virtio1: $r0 -> $r1" [ "${r1:-0}" -gt "${r0:-0}" ]

# The UART is on the APLIC too (its interrupt counts while this console prints).
uart=$(awk '/ttyS0/ { print $3 }' /proc/interrupts)
check uart-on-aplic "ttyS0 on ${uart:-nothing}" has_prefix "$uart" APLIC-MSI

cat /proc/interrupts
echo "TESTS DONE"

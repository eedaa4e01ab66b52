#!/bin/sh
# Guest test "virtio_pci_many": seventeen VirtIO devices on PCI at once (sixteen disks, the
# rng), more than virtio-mmio's eight slots could ever hold, all interrupting through MSI-X.
# kite-args: --transport pci --irqchip aia --disk "@WORK@/d1.img" --disk "@WORK@/d2.img" --disk "@WORK@/d3.img" --disk "@WORK@/d4.img" --disk "@WORK@/d5.img" --disk "@WORK@/d6.img" --disk "@WORK@/d7.img" --disk "@WORK@/d8.img" --disk "@WORK@/d9.img" --disk "@WORK@/d10.img" --disk "@WORK@/d11.img" --disk "@WORK@/d12.img" --disk "@WORK@/d13.img" --disk "@WORK@/d14.img" --disk "@WORK@/d15.img" --disk "@WORK@/d16.img" --rng
# Output: "TEST <name> PASS|FAIL <detail>" per check, "TESTS DONE" at the end.

. /tests/lib.sh

n=$(ls -d /sys/bus/virtio/devices/virtio* 2>/dev/null | wc -l)
check seventeen-devices "$n virtio devices" eq "$n" 17
fns=$(grep -l 0x1af4 /sys/bus/pci/devices/*/vendor 2>/dev/null | wc -l)
check seventeen-functions "$fns functions of vendor 0x1af4" eq "$fns" 17
unbound=0
for d in /sys/bus/virtio/devices/*; do [ -e "$d/driver" ] || unbound=$((unbound + 1)); done
check all-bound "$unbound without a driver" eq "$unbound" 0
# Disk i is i MiB: every one is there, in order, and reads.
sizes= ok=0
for x in a b c d e f g h i j k l m n o p; do
    sizes="$sizes $(cat /sys/block/vd$x/size 2>/dev/null)"
    [ "$(dd if=/dev/vd$x bs=4096 count=64 iflag=direct 2>/dev/null | wc -c)" = 262144 ] &&
        ok=$((ok + 1))
done
want=
for i in $(seq 1 16); do want="$want $((i * 2048))"; done
check disk-sizes "sizes:$sizes" eq "$sizes" "$want"
check disks-read "$ok of 16 disks read 256 KiB" eq "$ok" 16
n=$(dd if=/dev/hwrng bs=64 count=2 2>/dev/null | wc -c)
check rng-reads "read $n bytes" eq "$n" 128
msix=$(grep -c 'PCI-MSIX' /proc/interrupts)
check msix-vectors "$msix MSI-X vectors" [ "$msix" -ge 34 ]
# This script puts everything on PCI under the AIA itself, whatever the round.
kite_transport=pci kite_round=pci-aia transport_checks
bad=$(dmesg | grep -E -m1 'virtio.*(error|fail|broken)|I/O error|Oops|BUG:|WARNING:|no free' || true)
check dmesg-clean "${bad:-no virtio errors}" eq "$bad" ""
echo "TESTS DONE"

#!/bin/sh
# Guest test "virtio_mixed": one machine with VirtIO devices on both transports at once,
# under the AIA so the PCI ones interrupt through MSI-X and the virtio-mmio ones through the
# APLIC: a disk and the rng on PCI at the slots addr= names, a port device on the next free
# slot, a second disk and the console on virtio-mmio. Every device is used.
# kite-args: --transport mmio --irqchip aia --disk "@WORK@/a.img,transport=pci,addr=5" --disk "@WORK@/b.img" --rng transport=pci,addr=2 --console virtio --port mix=pty,transport=pci
# Output: "TEST <name> PASS|FAIL <detail>" per check, "TESTS DONE" at the end.

. /tests/lib.sh

# where DEV: the parent of a virtio device (a PCI function or a virtio-mmio node).
where() { basename "$(readlink -f "/sys/bus/virtio/devices/$1/..")"; }
of_block() { basename "$(readlink -f "/sys/block/$1/device")"; }

va=$(of_block vda)
vb=$(of_block vdb)
check vda-at-slot-5 "vda is $va at $(where "$va")" eq "$(where "$va")" 0000:00:05.0
check vdb-on-mmio "vdb is $vb at $(where "$vb")" has "$(where "$vb")" virtio_mmio
# Linux probes the PCI functions first: vda is the PCI disk (1 MiB), vdb the other (2 MiB).
sizes="$(cat /sys/block/vda/size) $(cat /sys/block/vdb/size)"
check disk-order "sizes: $sizes" eq "$sizes" "2048 4096"
rng=$(for d in /sys/bus/virtio/devices/*; do [ "$(cat "$d/device")" = 0x0004 ] && basename "$d"; done)
check rng-at-slot-2 "rng is $rng at $(where "$rng")" eq "$(where "$rng")" 0000:00:02.0
# Two console devices: the port device (its port "mix" under it) and hvc0's.
port= con=
for d in /sys/bus/virtio/devices/*; do
    [ "$(cat "$d/device")" = 0x0003 ] || continue
    if grep -qx mix "$d"/virtio-ports/vport*/name 2>/dev/null; then
        port=$(basename "$d")
    else
        con=$(basename "$d")
    fi
done
check port-on-pci "port device ${port:-none} at $(where "$port")" has "$(where "$port")" 0000:00:0
check console-on-mmio "console ${con:-none} at $(where "$con")" has "$(where "$con")" virtio_mmio
check hvc0-present "hvc0" test -c /dev/hvc0

echo mixed-pci-write | dd of=/dev/vda bs=512 seek=1 conv=fsync 2>/dev/null
echo mixed-mmio-write | dd of=/dev/vdb bs=512 seek=2 conv=fsync 2>/dev/null
got=$(dd if=/dev/vda bs=512 skip=1 count=1 iflag=direct 2>/dev/null | head -n1)
check vda-rw "read back: $got" eq "$got" mixed-pci-write
got=$(dd if=/dev/vdb bs=512 skip=2 count=1 iflag=direct 2>/dev/null | head -n1)
check vdb-rw "read back: $got" eq "$got" mixed-mmio-write
n=$(dd if=/dev/hwrng bs=64 count=4 2>/dev/null | wc -c)
check rng-reads "read $n bytes" eq "$n" 256

# Interrupts: the PCI ones on MSI-X vectors, the virtio-mmio ones through the APLIC.
cat /proc/interrupts
chip() { awk -v d="$1" '$NF ~ "^"d"(-|$)" { print $3; exit }' /proc/interrupts; }
check vda-msix "$va on $(chip "$va")" has_prefix "$(chip "$va")" PCI-MSIX
check rng-msix "$rng on $(chip "$rng")" has_prefix "$(chip "$rng")" PCI-MSIX
check vdb-aplic "$vb on $(chip "$vb")" has_prefix "$(chip "$vb")" APLIC-MSI
bad=$(dmesg | grep -E -m1 'virtio.*(error|fail|broken)|I/O error|Oops|BUG:|WARNING:' || true)
check dmesg-clean "${bad:-no virtio errors}" eq "$bad" ""
echo "TESTS DONE"

#!/bin/sh
# Guest test "virtio_eight": every virtio-mmio slot of the virt board in use at once (five
# disks, the virtio console, a port device, the rng), each on its own PLIC source.
# kite-args: --disk "@WORK@/d1.img" --disk "@WORK@/d2.img" --disk "@WORK@/d3.img" --disk "@WORK@/d4.img" --disk "@WORK@/d5.img" --console virtio --port org.kite.eight=pty --rng

. /tests/lib.sh

ids=$(cat /sys/bus/virtio/devices/*/device | sort | tr '\n' ' ')
check eight-devices "ids: $ids" eq "$ids" "0x0002 0x0002 0x0002 0x0002 0x0002 0x0003 0x0003 0x0004 "
unbound=0
for d in /sys/bus/virtio/devices/*; do [ -e "$d/driver" ] || unbound=$((unbound + 1)); done
check all-bound "$unbound without a driver" eq "$unbound" 0
# Every device has its interrupt: on virtio-mmio one line each (Linux lists each
# device's IRQ once); on PCI the INTx lines are shared, or each has MSI-X vectors.
if [ "$kite_transport" = mmio ]; then
    irqs=$(grep -c 'virtio' /proc/interrupts)
else
    irqs=$(grep -o 'virtio[0-9]*' /proc/interrupts | sort -u | wc -l)
fi
check eight-irqs "$irqs virtio devices with interrupts" eq "$irqs" 8
# vda..vde in command-line order: 1..5 MiB = 2048..10240 sectors.
sizes=$(for x in a b c d e; do cat /sys/block/vd$x/size; done | tr '\n' ' ')
check disk-order "sizes: $sizes" eq "$sizes" "2048 4096 6144 8192 10240 "
n=$(dd if=/dev/vde bs=4096 count=256 2>/dev/null | wc -c)
check last-disk-reads "read $n bytes of vde" eq "$n" 1048576
n=$(dd if=/dev/hwrng bs=64 count=1 2>/dev/null | wc -c)
check rng-reads "read $n bytes" eq "$n" 64
name=$(cat /sys/class/virtio-ports/vport*/name 2>/dev/null)
check port-named "name=$name" eq "$name" org.kite.eight
check hvc0-present "hvc0" test -c /dev/hvc0

transport_checks
echo "TESTS DONE"

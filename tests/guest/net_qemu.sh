#!/bin/sh
# Interoperability on QEMU 7.2's -netdev stream wire format: this kite guest (MAC ...:56)
# connects to a QEMU guest (MAC ...:57, virtio-net-device, listening on the socket) that
# tests/guest/net_qemu.host starts with the same kernel and initrd; the QEMU guest runs the
# peer's part of tests/guest/net_stream.sh. Ping, HTTP both ways with md5, and the link
# going down when QEMU exits.
# Two machines and a wire take long to boot: once, on the PLIC, is enough here.
# kite-args: --irqchip plic
. /tests/lib.sh
mkdir -p /tmp/www
seq 1 1000000 > /tmp/www/data
want=$(md5sum < /tmp/www/data | cut -d' ' -f1)

ip addr add 10.0.2.101/24 dev eth0
ip link set eth0 up
httpd -p 8000 -h /tmp/www
check carrier-up "link up with QEMU" eq "$(cat /sys/class/net/eth0/carrier)" 1
pinged=
for i in $(seq 60); do
    if ping -c 1 -W 2 10.0.2.102 > /dev/null 2>&1; then pinged=$i; break; fi
done
check ping-qemu "answered after ${pinged:-no} tries" ne "$pinged" ""
got=$(net_fetch http://10.0.2.102:8000/data)
check fetch-md5 "from the QEMU guest: $got" eq "$got" "$want"
echo bye > /tmp/www/bye
down=
for i in $(seq 240); do
    if [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" = 0 ]; then down=$i; break; fi
    sleep 0.5
done
check carrier-down "link down after ${down:-no} polls once QEMU exited" ne "$down" ""
echo "TESTS DONE"

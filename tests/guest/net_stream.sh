#!/bin/sh
# Two kites on one wire (--net stream, QEMU's -netdev stream format): this script runs in
# both. tests/guest/net_stream.host starts the peer (MAC ...:57, listening on the socket)
# before this guest (MAC ...:56) connects. A QEMU guest runs the peer's part for
# tests/guest/net_qemu.sh. Each serves the same data over HTTP and fetches
# the other's; the peer reports on its own console ("PEER ..." lines, checked on the host).
# When the peer powers off, this guest must see the link go down.
# Two machines and a wire take long to boot: once, on the PLIC, is enough here.
# kite-args: --irqchip plic
. /tests/lib.sh
N=1000000   # seq 1 $N: about 7 MB

mkdir -p /tmp/www
seq 1 $N > /tmp/www/data
want=$(md5sum < /tmp/www/data | cut -d' ' -f1)

if [ "$(cat /sys/class/net/eth0/address)" = 52:54:00:12:34:57 ]; then
    ip addr add 10.0.2.102/24 dev eth0
    ip link set eth0 up
    httpd -p 8000 -h /tmp/www
    got=$(net_fetch http://10.0.2.101:8000/data)
    if [ "$got" = "$want" ]; then echo "PEER fetch PASS $got"; else echo "PEER fetch FAIL $got"; fi
    net_fetch http://10.0.2.101:8000/bye > /dev/null
    echo "PEER done"
    exit 0
fi

ip addr add 10.0.2.101/24 dev eth0
ip link set eth0 up
httpd -p 8000 -h /tmp/www
check carrier-up "link up with the peer" eq "$(cat /sys/class/net/eth0/carrier)" 1
pinged=
for i in $(seq 60); do
    if ping -c 1 -W 2 10.0.2.102 > /dev/null 2>&1; then pinged=$i; break; fi
done
check ping-peer "answered after ${pinged:-no} tries" ne "$pinged" ""
got=$(net_fetch http://10.0.2.102:8000/data)
check fetch-md5 "from the peer: $got" eq "$got" "$want"
echo bye > /tmp/www/bye
# The peer powers off once it fetched /bye: its end of the socket closes.
down=
for i in $(seq 240); do
    if [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" = 0 ]; then down=$i; break; fi
    sleep 0.5
done
check carrier-down "link down after ${down:-no} polls once the peer left" ne "$down" ""
echo "TESTS DONE"

#!/bin/sh
# virtio-net on a Linux tap with offloads (tests/guest/net_tap.host puts the tap in a
# network namespace of its own at 10.0.2.201). The guest must negotiate checksum and TSO
# offloads, and bulk TCP must move frames above the MTU both ways (64 KiB segments).
# One round is enough: the interrupt controller is not what this exercises.
# kite-args: --irqchip plic
. /tests/lib.sh
ip addr add 10.0.2.202/24 dev eth0
ip link set eth0 up
feat=$(cat /sys/class/net/eth0/device/features)
bit() { echo "$feat" | cut -c$(($1 + 1)); }
check features-csum "CSUM $(bit 0) GUEST_CSUM $(bit 1)" eq "$(bit 0)$(bit 1)" 11
check features-tso4 "HOST_TSO4 $(bit 11) GUEST_TSO4 $(bit 7)" eq "$(bit 11)$(bit 7)" 11
pinged=
for i in $(seq 60); do
    if ping -c 1 -W 2 10.0.2.201 > /dev/null 2>&1; then pinged=$i; break; fi
done
check ping-namespace "answered after ${pinged:-no} tries" ne "$pinged" ""
want=$(seq 1 3000000 | md5sum | cut -d' ' -f1)
st=/sys/class/net/eth0/statistics
rb=$(cat $st/rx_bytes) rp=$(cat $st/rx_packets)
timeout 240 wget -q -O /tmp/data http://10.0.2.201:8000/data
got=$(md5sum < /tmp/data | cut -d' ' -f1)
check download-md5 "$got" eq "$got" "$want"
per=$(( ($(cat $st/rx_bytes) - rb) / ($(cat $st/rx_packets) - rp + 1) ))
check rx-segments-above-mtu "$per bytes per received packet" num_between "$per" 1600 70000
tb=$(cat $st/tx_bytes) tp=$(cat $st/tx_packets)
reply=$(timeout 240 /tests/bin/tcpsend 10.0.2.201 8001 < /tmp/data)
check upload-md5-reply "namespace computed $reply" eq "$reply" "$want"
per=$(( ($(cat $st/tx_bytes) - tb) / ($(cat $st/tx_packets) - tp + 1) ))
check tx-segments-above-mtu "$per bytes per sent packet" num_between "$per" 1600 70000
echo "TESTS DONE"

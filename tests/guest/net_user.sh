#!/bin/sh
# kite-args: --net user
# virtio-net on libslirp: /init's DHCP gave eth0 slirp's first address.
. /tests/lib.sh
addr=$(ip -4 -o addr show dev eth0 2>/dev/null | awk '{print $4}')
check dhcp-address "eth0 has $addr" eq "$addr" "10.0.2.15/24"
check mac "$(cat /sys/class/net/eth0/address)" eq "$(cat /sys/class/net/eth0/address)" "52:54:00:12:34:56"
check carrier "link up" eq "$(cat /sys/class/net/eth0/carrier)" 1
route=$(ip route | grep "^default")
check default-route "$route" has "$route" "via 10.0.2.2"
check ping-gateway "slirp answers 10.0.2.2" ping -c 2 -W 5 10.0.2.2
echo "TESTS DONE"

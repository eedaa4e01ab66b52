#!/bin/sh
# virtio-net on libslirp (tests/guest/net_user.host starts the host side and sets the kite
# options: eth0 with a hostfwd to port 8080, eth1 on a second slirp with 10.0.3.0/24).
# Traffic goes only to slirp's own addresses, i.e. the host's 127.0.0.1.
. /tests/lib.sh
set -- $(dd if=/dev/vda bs=512 count=1 2>/dev/null | tr -d '\0')
http_port=$1 up_port=$2 token=$3 big_md5=$4

addr=$(ip -4 -o addr show dev eth0 2>/dev/null | awk '{print $4}')
check dhcp-address "eth0 has $addr" eq "$addr" "10.0.2.15/24"
mac=$(cat /sys/class/net/eth0/address)
check mac "eth0 $mac" eq "$mac" "52:54:00:12:34:56"
check carrier "link up" eq "$(cat /sys/class/net/eth0/carrier)" 1
route=$(ip route | grep "^default")
check default-route "$route" has "$route" "via 10.0.2.2"
check ping-gateway "slirp answers 10.0.2.2" ping -c 2 -W 5 10.0.2.2

# 64 MiB from an HTTP server on the host's 127.0.0.1.
timeout 240 wget -q -O /tmp/big.bin "http://10.0.2.2:$http_port/big.bin"
got=$(md5sum /tmp/big.bin | cut -d' ' -f1)
check download-md5 "$(wc -c < /tmp/big.bin) bytes, md5 $got" eq "$got" "$big_md5"

# The same 64 MiB back to a host listener, which answers with the md5 it computed.
reply=$(timeout 240 nc 10.0.2.2 "$up_port" < /tmp/big.bin)
check upload-md5-reply "host computed $reply" eq "$reply" "$big_md5"
rm -f /tmp/big.bin

# hostfwd: the host connects to its 127.0.0.1 port, slirp forwards to our 8080.
echo "guest-says-$token" > /tmp/payload
fromhost=$(timeout 120 nc -l -p 8080 < /tmp/payload)
check hostfwd-token "host sent ${fromhost:-nothing}" eq "$fromhost" "$token"

# A second NIC on its own slirp network.
mac1=$(cat /sys/class/net/eth1/address 2>/dev/null)
check second-nic-mac "eth1 $mac1" eq "$mac1" "52:54:00:12:34:57"
udhcpc -i eth1 -s /etc/kite/udhcpc.script -q -n -t 3 -T 2 >/dev/null 2>&1
addr1=$(ip -4 -o addr show dev eth1 2>/dev/null | awk '{print $4}')
check second-nic-dhcp "eth1 has $addr1" eq "$addr1" "10.0.3.15/24"
check second-nic-ping "slirp answers 10.0.3.2 on eth1" ping -c 2 -W 5 -I eth1 10.0.3.2
echo "TESTS DONE"

#!/bin/sh
# virtio-net on libslirp (tests/guest/net_user.host starts the host side and sets the kite
# options: a NIC with a hostfwd to port 8080, and one on virtio-pci on a second slirp with
# 10.0.2.128/25, restrict=on and a hostfwd to port 8081; default MACs 52:54:00:12:34:56
# and :57).
# Traffic goes only to slirp's own addresses, i.e. the host's 127.0.0.1.
. /tests/lib.sh
set -- $(dd if=/dev/vda bs=512 count=1 2>/dev/null | tr -d '\0')
http_port=$1 up_port=$2 token=$3 big_md5=$4

# ifc MAC: the interface with that address (a virtio-pci NIC probes before virtio-mmio
# ones, so eth0 is the second --net here).
ifc() {
    for d in /sys/class/net/eth*; do
        [ "$(cat "$d/address")" = "$1" ] && echo "${d##*/}"
    done
}
addr_of() { ip -4 -o addr show dev "$1" 2>/dev/null | awk '{print $4}'; }
if0=$(ifc 52:54:00:12:34:56)
if1=$(ifc 52:54:00:12:34:57)
# /init took a lease on eth0; the other NIC gets one here.
init_addr=$(addr_of eth0)
check init-dhcp "/init gave eth0 $init_addr" has_prefix "$init_addr" "10.0."
for i in $if0 $if1; do
    [ -n "$(addr_of "$i")" ] ||
        udhcpc -i "$i" -s /etc/kite/udhcpc.script -q -n -t 3 -T 2 >/dev/null 2>&1
done
addr=$(addr_of "$if0")
check dhcp-address "${if0:-no NIC with MAC :56} has $addr" eq "$addr" "10.0.2.15/24"
check carrier "link up" eq "$(cat /sys/class/net/$if0/carrier)" 1
route=$(ip route | grep "^default")
check default-route "$route" has "$route" "via 10.0."
check ping-gateway "slirp answers 10.0.2.2" ping -c 2 -W 5 10.0.2.2

# 64 MiB from an HTTP server on the host's 127.0.0.1.
timeout 240 wget -q -O /tmp/big.bin "http://10.0.2.2:$http_port/big.bin"
got=$(md5sum /tmp/big.bin | cut -d' ' -f1)
check download-md5 "$(wc -c < /tmp/big.bin) bytes, md5 $got" eq "$got" "$big_md5"

# The same 64 MiB back to a host listener, which answers with the md5 it computed.
reply=$(timeout 240 nc 10.0.2.2 "$up_port" < /tmp/big.bin)
check upload-md5-reply "host computed $reply" eq "$reply" "$big_md5"
rm -f /tmp/big.bin

# The second NIC's slirp has restrict=on: slirp itself still answers (DHCP, ping, below),
# but its lease names no gateway or DNS server, and nothing the guest sends goes beyond
# slirp: the host's HTTP server, which the first NIC reaches at 10.0.2.2, is not reachable
# at that slirp's 10.0.2.130. (Before the hostfwd checks: the host's servers stop once the
# host got through to the guest.)
cat > /tmp/lease.sh <<'EOF'
#!/bin/sh
[ "$1" = bound ] && echo "router=$router dns=$dns" > "/tmp/lease.$interface"
exec /etc/kite/udhcpc.script "$@"
EOF
chmod +x /tmp/lease.sh
udhcpc -i "$if1" -s /tmp/lease.sh -q -n -t 3 -T 2 >/dev/null 2>&1
lease=$(cat "/tmp/lease.$if1" 2>/dev/null)
check restricted-lease "${lease:-no lease} on $if1" eq "$lease" "router= dns="
check restricted-no-host-tcp "10.0.2.130:$http_port refused through the restricted NIC" \
    fails wget -q -T 5 -O /tmp/restricted.out "http://10.0.2.130:$http_port/token"
check unrestricted-host-tcp "the same server at 10.0.2.2 through the first NIC" \
    wget -q -T 20 -O /tmp/unrestricted.out "http://10.0.2.2:$http_port/token"

# hostfwd: the host connects to its 127.0.0.1 port, slirp forwards to our 8080; then to
# its second port, forwarded through the restricted slirp to our 8081.
echo "guest-says-$token" > /tmp/payload
fromhost=$(timeout 120 nc -l -p 8080 < /tmp/payload)
check hostfwd-token "host sent ${fromhost:-nothing}" eq "$fromhost" "$token"
fromhost=$(timeout 120 nc -l -p 8081 < /tmp/payload)
check restricted-hostfwd-token "host sent ${fromhost:-nothing} through the restricted NIC" \
    eq "$fromhost" "$token"

# A second NIC on its own slirp network, on virtio-pci.
check second-nic-pci "${if1:-none} is a PCI device" has "$(readlink -f /sys/class/net/$if1/device)" "/pci0000:00/"
addr1=$(addr_of "$if1")
check second-nic-dhcp "${if1:-no NIC with MAC :57} has $addr1" eq "$addr1" "10.0.2.143/25"
check second-nic-ping "slirp answers 10.0.2.130 on $if1" ping -c 2 -W 5 -I "$if1" 10.0.2.130
echo "TESTS DONE"

#!/bin/sh
# Guest side of bench/net.sh: bulk TCP host->guest and guest->host through the NIC (slirp
# on both VMMs), then an echo server on port 7 for the host's ping-pong. The host times
# everything; the VMM is stopped by the host once it has its figures.
for a in $(cat /proc/cmdline); do
    case "$a" in netbench=*) spec=${a#netbench=} ;; esac
done
dl=${spec%%,*}; rest=${spec#*,}; ul=${rest%%,*}; mib=${rest#*,}
ip -4 -o addr show dev eth0 | grep -q 10.0.2.15 ||
    udhcpc -i eth0 -s /etc/kite/udhcpc.script -q -n -t 5 -T 1 > /dev/null 2>&1
nc -ll -p 7 -e /bin/cat &
echo "NETBENCH ready"
# 64 KiB reads and writes (tests/guest/bin/tcpsend.c): busybox nc's 1 KiB ones would time
# nc's system calls more than the network.
/tests/bin/tcpsend 10.0.2.2 "$dl" < /dev/null > /dev/null
dd if=/dev/zero bs=64k count="$((mib * 16))" 2> /dev/null | /tests/bin/tcpsend 10.0.2.2 "$ul" > /dev/null
echo "NETBENCH transfers done"
sleep 600

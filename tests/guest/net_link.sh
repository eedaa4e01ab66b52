#!/bin/sh
# Guest test "net_link": the host pulls and plugs a NIC's cable through QMP's set_link
# (tests/guest/net_link.host); the guest sees the carrier go and come back, and no frame
# crosses while it is down. Traffic only to slirp's 10.0.2.2 (the host's loopback).
# kite-args: --net user,id=uplink --qmp "@WORK@/qmp.sock"
# Output: "TEST <name> PASS|FAIL <detail>" per check, "TESTS DONE" at the end.

. /tests/lib.sh

# wait_carrier 0|1: up to 30 s for eth0's carrier to read so.
wait_carrier() {
    for i in $(seq 300); do
        [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" = "$1" ] && return 0
        sleep 0.1
    done
    return 1
}
# pings N: whether 10.0.2.2 answers within N tries of one second each.
pings() {
    for i in $(seq "$1"); do ping -c 1 -W 1 10.0.2.2 > /dev/null 2>&1 && return 0; done
    return 1
}

check carrier-up-at-boot "eth0 carrier $(cat /sys/class/net/eth0/carrier 2>/dev/null)" wait_carrier 1
check ping-while-up "10.0.2.2 answers" pings 10
echo LINK-READY
check carrier-down-seen "set_link down reached the guest" wait_carrier 0
check no-traffic-while-down "10.0.2.2 must not answer" fails pings 3
rx0=$(cat /sys/class/net/eth0/statistics/rx_packets)
echo LINK-DOWN-SEEN
check carrier-up-again "set_link up reached the guest" wait_carrier 1
check ping-after-up "10.0.2.2 answers again" pings 30
rx1=$(cat /sys/class/net/eth0/statistics/rx_packets)
check frames-after-up "rx packets $rx0 -> $rx1" [ "$rx1" -gt "$rx0" ]
echo "TESTS DONE"

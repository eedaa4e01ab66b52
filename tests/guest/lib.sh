#!/bin/sh
# Shared by the guest test scripts (". /tests/lib.sh"): the check and its predicates.
# Not a test itself (tests/guest/run.sh skips it).

# check NAME DETAIL COMMAND...: prints "TEST NAME PASS|FAIL DETAIL" by COMMAND's status.
check() {
    name=$1 detail=$2
    shift 2
    if "$@" >/dev/null 2>&1; then
        echo "TEST $name PASS $detail"
    else
        echo "TEST $name FAIL $detail"
    fi
}

eq() { [ "$1" = "$2" ]; }
ne() { [ "$1" != "$2" ]; }
fails() { ! "$@"; }
has() { case "$1" in *"$2"*) return 0 ;; esac; return 1; }
has_prefix() { case "$1" in "$2"*) return 0 ;; esac; return 1; }
# Uptime in hundredths of a second as a plain decimal ("0.08" with the dot removed would be
# read as octal by $(( )), and 0.08 is a time a fast boot reaches a test at).
uptime_cs() { awk '{ printf "%d\n", $1 * 100 + 0.5 }' /proc/uptime; }
num_between() { [ -n "$1" ] && [ "$1" -ge "$2" ] 2>/dev/null && [ "$1" -le "$3" ]; }

# The round of tests/guest/run.sh this boot belongs to (kite.round=): plic, aia, pci, pci-aia.
kite_round=$(sed -n 's/.*kite\.round=\([^ ]*\).*/\1/p' /proc/cmdline)
case $kite_round in pci*) kite_transport=pci ;; *) kite_transport=mmio ;; esac

# The vendor a virtio device reports: kite's "KITE" on virtio-mmio, the PCI subsystem
# vendor (Red Hat's 0x1af4, as the spec requires) on virtio-pci.
virtio_vendor() {
    if [ "$kite_transport" = pci ]; then echo 0x1af4; else echo 0x4554494b; fi
}

# transport_checks: what the round says about where the VirtIO devices are. On PCI every
# virtio device hangs off a PCI function 1af4:(1040 + its device ID) behind the ECAM host
# bridge (transport-pci); under pci-aia each has its config and queue interrupts on MSI-X
# vectors, and the queues' counts are not all zero (transport-msix). Call it at the end of a
# virtio_* script, after the devices were used.
transport_checks() {
    [ "$kite_transport" = pci ] || return 0
    local ok=yes detail="" d fn id want vendor device
    for d in /sys/bus/virtio/devices/virtio*; do
        [ -e "$d" ] || continue
        fn=$(readlink -f "$d/..")
        id=$(cat "$d/device")
        want=$(printf '0x%04x' $((0x1040 + id)))
        vendor=$(cat "$fn/vendor" 2>/dev/null)
        device=$(cat "$fn/device" 2>/dev/null)
        detail="$detail $(basename "$d")@$(basename "$fn")=$vendor:$device"
        case $fn in */pci0000:00/0000:00:*) ;; *) ok=no ;; esac
        [ "$vendor" = 0x1af4 ] && [ "$device" = "$want" ] || ok=no
    done
    check transport-pci "${detail:- no virtio devices}" eq "$ok${detail:+x}" yesx
    case $kite_round in *aia) ;; *) return 0 ;; esac
    ok=yes detail=""
    local all=0
    for d in /sys/bus/virtio/devices/virtio*; do
        [ -e "$d" ] || continue
        local n=$(basename "$d") lines vectors queued
        lines=$(grep -E " $n-" /proc/interrupts)
        # Every vector of this device is a PCI-MSIX one: config plus at least one queue.
        vectors=$(echo "$lines" | grep -c "PCI-MSIX")
        queued=$(echo "$lines" | grep -v -- "-config" | awk '{ s += $2 } END { print s + 0 }')
        all=$((all + queued))
        detail="$detail $n:$vectors vectors,$queued irqs"
        echo "$lines" | grep -qv PCI-MSIX && ok=no
        echo "$lines" | grep -q -- "$n-config" || ok=no
        [ "$vectors" -ge 2 ] || ok=no
    done
    [ "$all" -gt 0 ] || ok=no
    # A disk's and the rng's queue vectors count what using them now brings.
    local before after
    if [ -e /sys/block/vda/device ]; then
        local v=$(basename "$(readlink -f /sys/block/vda/device)")
        before=$(grep -E " $v-" /proc/interrupts | grep -v -- -config | awk '{ s += $2 } END { print s + 0 }')
        dd if=/dev/vda of=/dev/null bs=4096 count=16 iflag=direct 2>/dev/null
        after=$(grep -E " $v-" /proc/interrupts | grep -v -- -config | awk '{ s += $2 } END { print s + 0 }')
        detail="$detail; vda $v: $before -> $after"
        [ "$after" -gt "$before" ] || ok=no
    fi
    check transport-msix "${detail:- no virtio devices}" eq "$ok${detail:+x}" yesx
}

# net_fetch URL: fetches URL with wget, retrying once a second (at most 120 times) until the
# other end serves it; prints the md5 of what came, or "none".
net_fetch() {
    _i=0
    while [ $_i -lt 120 ]; do
        if wget -q -T 20 -O /tmp/net_fetch.out "$1" 2>/dev/null; then
            md5sum < /tmp/net_fetch.out | cut -d' ' -f1
            rm -f /tmp/net_fetch.out
            return 0
        fi
        _i=$((_i + 1))
        sleep 1
    done
    echo none
    return 1
}

#!/bin/sh
# Guest test "virtio_input": a keyboard, a tablet and a mouse on virtio-mmio, driven from
# the host through QMP (tests/guest/virtio_input.host runs virtio_input_host.py while the
# guest runs): events arrive in /dev/input/eventN in order, in groups ended by SYN_REPORT;
# the keyboard LED the guest sets reaches the host as INPUT_LED; QMP stop freezes the guest.
# kite-args: --input keyboard --input tablet --input mouse,id=ptr,serial=mouse-1 --qmp "@WORK@/qmp.sock"
# Output: "TEST <name> PASS|FAIL <detail>" per check, "TESTS DONE" at the end.

. /tests/lib.sh
EV=/tests/bin/evread

ids=$(cat /sys/bus/virtio/devices/*/device 2>/dev/null | tr '\n' ' ')
check virtio-device-ids "devices: ${ids:-none}" eq "$(echo "$ids" | grep -o 0x0012 | wc -l)" 3
kbd=$($EV find "kite virtio keyboard")
tab=$($EV find "kite virtio tablet")
mouse=$($EV find "kite virtio mouse")
check found-keyboard "${kbd:-none}" has_prefix "$kbd" /dev/input/event
check found-tablet "${tab:-none}" has_prefix "$tab" /dev/input/event
check found-mouse "${mouse:-none}" has_prefix "$mouse" /dev/input/event
sys() { cat "/sys/class/input/${1#/dev/input/}/device/$2" 2>/dev/null; }
check keyboard-bus-virtual "bustype=$(sys "$kbd" id/bustype)" eq "$(sys "$kbd" id/bustype)" 0006
# SYN, KEY, LED and REP (bits 0, 1, 17, 20).
check keyboard-ev-bits "ev=$(sys "$kbd" capabilities/ev)" eq "$(sys "$kbd" capabilities/ev)" 120003
check tablet-abs-bits "abs=$(sys "$tab" capabilities/abs)" eq "$(sys "$tab" capabilities/abs)" 3
# REL_X, REL_Y, REL_WHEEL (bits 0, 1, 8).
check mouse-rel-bits "rel=$(sys "$mouse" capabilities/rel)" eq "$(sys "$mouse" capabilities/rel)" 103
check mouse-serial "uniq=$(sys "$mouse" uniq)" eq "$(sys "$mouse" uniq)" mouse-1

# The host sends (virtio_input_host.py): keyboard shift+a pressed and released in one group,
# then enter by key number through `kite qmp`; tablet to (100, 32767), then x 40000 (clamped),
# left button down and up; mouse (5, -3) and one wheel notch up.
$EV read 120 "$kbd:8" "$tab:9" "$mouse:5" > /tmp/ev.out 2>&1 &
reader=$!
i=0
while ! grep -q listening /tmp/ev.out 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
echo "INPUT-READY"
wait $reader
rc=$?
check events-all-read "evread exit $rc: $(tail -n 1 /tmp/ev.out)" eq "$rc" 0
got() { grep "^$1 " /tmp/ev.out | cut -d' ' -f2- | tr '\n' ',' ; }
want_kbd="1 42 1,1 30 1,1 30 0,1 42 0,0 0 0,1 28 1,1 28 0,0 0 0,"
want_tab="3 0 100,3 1 32767,0 0 0,3 0 32767,0 0 0,1 272 1,0 0 0,1 272 0,0 0 0,"
want_mouse="2 0 5,2 1 -3,0 0 0,2 8 1,0 0 0,"
check keyboard-events "$(got 0)" eq "$(got 0)" "$want_kbd"
check tablet-events "$(got 1)" eq "$(got 1)" "$want_tab"
check mouse-events "$(got 2)" eq "$(got 2)" "$want_mouse"

# Caps lock on: the host waits for INPUT_LED.
$EV led "$kbd" 1 1
check led-write "evread led exit $?" eq "$?" 0
echo "LED-SET"

# Progress the host can watch: it stops the machine meanwhile and checks that no tick
# appears while stopped, lets it run on, and ends the ticking with a key (q) once it saw a
# tick after cont. Busy work between ticks, not sleep, so a hart that kept running would
# show even if guest time stood still.
$EV read 600 "$kbd:3" > /tmp/q.out 2>&1 &
qreader=$!
i=0
while ! grep -q listening /tmp/q.out 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
i=0
while ! grep -q "^0 1 16 0" /tmp/q.out && [ $i -lt 3000 ]; do
    echo "TICK $i"
    i=$((i + 1))
    j=0
    while [ $j -lt 1500 ]; do j=$((j + 1)); done
done
wait $qreader
check ticks-until-host-key "ticked $i times, then: $(tail -n 3 /tmp/q.out | tr '\n' ' ')" \
    num_between "$i" 5 2999
transport_checks
echo "TESTS DONE"

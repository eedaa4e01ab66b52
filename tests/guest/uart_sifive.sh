#!/bin/sh
# Guest test "uart_sifive": the SiFive UART instead of the 16550 (--uart sifive), as the
# console: Linux's SERIAL_SIFIVE binds it, it is ttySIF0 on PLIC source 12, and this
# script's own output (every TEST line) reached the host through it.
# kite-args: --uart sifive --append "console=ttySIF0 kite.test=uart_sifive"
# Output: "TEST <name> PASS|FAIL <detail>" per check, "TESTS DONE" at the end.

. /tests/lib.sh

active=$(cat /sys/class/tty/console/active 2>/dev/null)
check console-is-ttySIF0 "console/active=$active" has "$active" ttySIF0
drv=$(basename "$(readlink /sys/bus/platform/devices/10010000.serial/driver 2>/dev/null)" 2>/dev/null)
check sifive-driver-bound "driver=${drv:-none}" eq "$drv" sifive-serial
check no-16550 "no 10000000.serial device" fails test -e /sys/bus/platform/devices/10000000.serial
probe=$(dmesg | grep -m1 'ttySIF0 at MMIO' || true)
check probe-line "${probe:-no probe line}" has "$probe" "ttySIF0 at MMIO 0x10010000"

# /proc/interrupts: "<virq>: <count> <controller> <source> <trigger> [...] 10010000.serial".
irq_line() { grep '10010000.serial' /proc/interrupts; }
# The wired source number stands before the trigger type, whichever controller (PLIC or
# APLIC) delivers it.
hwirq=$(irq_line | awk '{ for (i = 2; i <= NF; i++) if ($i == "Level" || $i == "Edge") print $(i - 1) }')
check irq-source-12 "$(irq_line | tr -s ' ')" eq "$hwirq" 12
# Output through the tty (interrupt driven, not the polled console path) raises the
# transmit watermark interrupt: the count grows.
before=$(irq_line | awk '{ print $2 }')
i=0
while [ $i -lt 20 ]; do
    echo "uart_sifive filler line $i: 0123456789abcdefghijklmnopqrstuvwxyz" > /dev/ttySIF0
    i=$((i + 1))
done
after=$(irq_line | awk '{ print $2 }')
check irq-count-grows "before=$before after=$after" [ "${after:-0}" -gt "${before:-0}" ]

bad=$(dmesg | grep -E -m1 'sifive-serial.*(error|fail|missing|unable)|Oops|BUG:|WARNING:' || true)
check dmesg-clean "${bad:-no UART errors}" eq "$bad" ""

echo "TESTS DONE"

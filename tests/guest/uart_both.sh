#!/bin/sh
# Guest test "uart_both": --uart both keeps the ns16550a as the console (ttyS0) and adds
# the SiFive UART beside it (ttySIF0 on PLIC source 12); both drivers bind.
# kite-args: --uart both
# Output: "TEST <name> PASS|FAIL <detail>" per check, "TESTS DONE" at the end.

. /tests/lib.sh

active=$(cat /sys/class/tty/console/active 2>/dev/null)
check console-is-ttyS0 "console/active=$active" has "$active" ttyS0
drv=$(basename "$(readlink /sys/bus/platform/devices/10000000.serial/driver 2>/dev/null)" 2>/dev/null)
check 16550-driver-bound "driver=${drv:-none}" eq "$drv" of_serial
drv=$(basename "$(readlink /sys/bus/platform/devices/10010000.serial/driver 2>/dev/null)" 2>/dev/null)
check sifive-driver-bound "driver=${drv:-none}" eq "$drv" sifive-serial
check ttySIF0-exists "/dev/ttySIF0" test -c /dev/ttySIF0

irq_line() { grep '10010000.serial' /proc/interrupts; }
# Opening the port enables its receive interrupt; writing to it raises the transmit one.
before=$(irq_line | awk '{ print $2 }')
echo "uart_both: a line for ttySIF0" > /dev/ttySIF0
after=$(irq_line | awk '{ print $2 }')
# The wired source number stands before the trigger type, whichever controller (PLIC or
# APLIC) delivers it.
hwirq=$(irq_line | awk '{ for (i = 2; i <= NF; i++) if ($i == "Level" || $i == "Edge") print $(i - 1) }')
check sifive-irq-source-12 "$(irq_line | tr -s ' ')" eq "$hwirq" 12
check sifive-irq-count-grows "before=$before after=$after" [ "${after:-0}" -gt "${before:-0}" ]

bad=$(dmesg | grep -E -m1 'sifive-serial.*(error|fail|missing|unable)|Oops|BUG:|WARNING:' || true)
check dmesg-clean "${bad:-no UART errors}" eq "$bad" ""

echo "TESTS DONE"

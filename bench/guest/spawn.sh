# Process-heavy guest work, the shape of a shell build script: 300 fork+exec of a busybox
# applet, then 10 rounds of `ls -la /bin` and a sort of /proc/kallsyms through pipes (many
# short processes: page faults, address-space switches, TLB flushes, code run once per
# process). Times from /proc/uptime (10 ms resolution).
uptime_cs() { awk '{ printf "%d\n", $1 * 100 + 0.5 }' /proc/uptime; } # no leading 0: octal
t0=$(uptime_cs)
i=0
while [ $i -lt 300 ]; do
    /bin/busybox true
    i=$((i + 1))
done
t1=$(uptime_cs)
i=0
while [ $i -lt 10 ]; do
    ls -la /bin > /dev/null
    sort /proc/kallsyms | head -n 1 > /dev/null
    i=$((i + 1))
done
t2=$(uptime_cs)
echo "BENCH spawn_300_s $(( t1 - t0 ))e-2"
echo "BENCH ls_sort_10_s $(( t2 - t1 ))e-2"

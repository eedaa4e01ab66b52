# CPU-bound work inside the guest: compress and hash generated data with busybox.
# Times come from /proc/uptime (10 ms resolution) around each step.
uptime_cs() { awk '{ printf "%d\n", $1 * 100 + 0.5 }' /proc/uptime; } # no leading 0: octal
seq 1 400000 > /tmp/data           # ~2.6 MB of text, the same on every run
t0=$(uptime_cs)
gzip -c /tmp/data > /tmp/data.gz
t1=$(uptime_cs)
md5sum /tmp/data > /dev/null
md5sum /tmp/data.gz > /dev/null
t2=$(uptime_cs)
echo "BENCH gzip_s $(( (t1 - t0) ))e-2"
echo "BENCH md5_s $(( (t2 - t1) ))e-2"
echo "BENCH cpu_s $(( (t2 - t0) ))e-2"

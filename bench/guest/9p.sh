# Shared-folder benchmark on the 9P mount /init made at /mnt/host (msize 512000,
# cache=none): untar 2,000 small files into the share, find + stat over 10,000 entries,
# 256 MiB sequential write and read. Times from /proc/uptime (10 ms resolution).
uptime_cs() { awk '{ printf "%d\n", $1 * 100 + 0.5 }' /proc/uptime; } # no leading 0: octal
H=/mnt/host
grep -q "^host $H 9p" /proc/mounts || { echo "BENCH-INFO no 9p mount at $H"; exit 1; }
mkdir $H/untar
t0=$(uptime_cs)
tar -xf $H/tree.tar -C $H/untar
t1=$(uptime_cs)
find $H/many -type f > /tmp/list
xargs stat -c %s < /tmp/list > /dev/null
t2=$(uptime_cs)
dd if=/dev/zero of=$H/big bs=1M count=256 2>/dev/null
t3=$(uptime_cs)
dd if=$H/big of=/dev/null bs=1M 2>/dev/null
t4=$(uptime_cs)
echo "BENCH untar_2000_files_s $(( t1 - t0 ))e-2"
echo "BENCH find_stat_10000_s $(( t2 - t1 ))e-2"
echo "BENCH seq_write_256MiB_s $(( t3 - t2 ))e-2"
echo "BENCH seq_read_256MiB_s $(( t4 - t3 ))e-2"
echo "BENCH-INFO $(wc -l < /tmp/list) entries found, $(find $H/untar -type f | wc -l) untarred"

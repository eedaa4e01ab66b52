#!/bin/sh
# Guest test "virtio_blk": four virtio-blk disks, driven by Linux's virtio_blk.
#   vda  a read-only image holding a known pattern (serial kite-pattern)
#   vdb  a writable blank image (serial kite-rw): the host checks the guest's bytes in it
#   vdc  a snapshot of a pattern image (serial kite-snap): the host checks it is untouched
#   vdd  a writable image with cache=none (no serial)
# Every image path has a space in it (the harness's work directory). virtio_blk.host
# makes the images and checks them after poweroff.
# kite-args: --disk "@WORK@/pattern.img,ro,serial=kite-pattern" --disk "@WORK@/rw.img,serial=kite-rw" --disk "@WORK@/snap.img,snapshot,serial=kite-snap" --disk "@WORK@/direct.img,cache=none"

. /tests/lib.sh
md5() { md5sum | cut -d' ' -f1; }
# The same bytes the host generates (virtio_blk.host).
seq 1 50000 | head -c 262144 > /tmp/pattern
seq 3000000 3020000 | head -c 131072 > /tmp/rw
pat=$(md5 < /tmp/pattern)
rw=$(md5 < /tmp/rw)
zero=$(head -c 131072 /dev/zero | md5)

disks=$(ls /sys/block | grep '^vd' | tr '\n' ' ')
check four-disks "disks: $disks" eq "$disks" "vda vdb vdc vdd "
s=$(cat /sys/block/vda/serial 2>/dev/null)
check serial-vda "serial=$s" eq "$s" kite-pattern
s=$(cat /sys/block/vdb/serial 2>/dev/null)
check serial-vdb "serial=$s" eq "$s" kite-rw
s=$(cat /sys/block/vdc/serial 2>/dev/null)
check serial-vdc "serial=$s" eq "$s" kite-snap
s=$(cat /sys/block/vdd/serial 2>/dev/null)
check serial-vdd-empty "serial='$s'" eq "$s" ""
n=$(cat /sys/block/vda/size)
check vda-size "$n sectors" eq "$n" 512
n=$(cat /sys/block/vdb/size)
check vdb-size "$n sectors" eq "$n" 4096
ro=$(cat /sys/block/vda/ro)$(cat /sys/block/vdb/ro)$(cat /sys/block/vdc/ro)$(cat /sys/block/vdd/ro)
check ro-flags "ro flags vda..vdd: $ro" eq "$ro" 1000
# Linux took the limits the device offers.
d=$(cat /sys/block/vdb/queue/discard_max_bytes)
check vdb-discard-offered "discard_max_bytes=$d" eq "$d" 2147483648
d=$(cat /sys/block/vda/queue/discard_max_bytes)
check vda-no-discard "discard_max_bytes=$d (read-only)" eq "$d" 0
f=$(cat /sys/block/vdb/queue/physical_block_size)
check topology "physical_block_size=$f" eq "$f" 4096

# Reads: the whole pattern, through the page cache and with O_DIRECT, and one sector.
got=$(md5 < /dev/vda)
check read-pattern "md5 $got (want $pat)" eq "$got" "$pat"
got=$(dd if=/dev/vda bs=1M iflag=direct 2>/dev/null | md5)
check read-pattern-direct "md5 $got" eq "$got" "$pat"
got=$(dd if=/dev/vda bs=512 skip=301 count=1 2>/dev/null | md5)
want=$(dd if=/tmp/pattern bs=512 skip=301 count=1 2>/dev/null | md5)
check read-one-sector "sector 301: $got" eq "$got" "$want"

# The read-only disk refuses writes and stays as it was.
check ro-write-refused "dd to /dev/vda must fail" fails dd if=/tmp/rw of=/dev/vda bs=4096 count=1 conv=fsync
check ro-direct-write-refused "O_DIRECT dd to /dev/vda must fail" fails dd if=/tmp/rw of=/dev/vda bs=4096 count=1 oflag=direct
echo 3 > /proc/sys/vm/drop_caches
got=$(dd if=/dev/vda bs=1M iflag=direct 2>/dev/null | md5)
check ro-unchanged "md5 $got" eq "$got" "$pat"

# Writes (128 KiB blocks): buffered + fsync at block 1, O_DIRECT at block 3; read back.
check write-fsync "dd conv=fsync at block 1" dd if=/tmp/rw of=/dev/vdb bs=64k seek=2 conv=fsync
check write-direct "dd oflag=direct at block 3" dd if=/tmp/rw of=/dev/vdb bs=128k seek=3 oflag=direct
check flushbufs "blockdev --flushbufs" blockdev --flushbufs /dev/vdb
echo 3 > /proc/sys/vm/drop_caches
got=$(dd if=/dev/vdb bs=128k skip=1 count=1 iflag=direct 2>/dev/null | md5)
check read-back-fsync "md5 $got (want $rw)" eq "$got" "$rw"
got=$(dd if=/dev/vdb bs=128k skip=3 count=1 iflag=direct 2>/dev/null | md5)
check read-back-direct "md5 $got" eq "$got" "$rw"
got=$(dd if=/dev/vdb bs=128k skip=2 count=1 iflag=direct 2>/dev/null | md5)
check untouched-between "md5 $got (zeros)" eq "$got" "$zero"

# Discard: write block 5, discard it, it reads back as zeros (the host punched a hole).
dd if=/tmp/rw of=/dev/vdb bs=128k seek=5 oflag=direct 2>/dev/null
check discard "blkdiscard block 5" blkdiscard -o 655360 -l 131072 /dev/vdb
got=$(dd if=/dev/vdb bs=128k skip=5 count=1 iflag=direct 2>/dev/null | md5)
check discard-reads-zero "md5 $got" eq "$got" "$zero"

# Write zeroes: Linux sends WRITE_ZEROES for BLKZEROOUT when the device offers it
# (write_zeroes_max_bytes > 0); write block 7, zero it, it reads back as zeros.
z=$(cat /sys/block/vdb/queue/write_zeroes_max_bytes)
check vdb-write-zeroes-offered "write_zeroes_max_bytes=$z" [ "${z:-0}" -gt 0 ]
dd if=/tmp/rw of=/dev/vdb bs=128k seek=7 oflag=direct 2>/dev/null
check write-zeroes "BLKZEROOUT block 7" /tests/bin/blkzero /dev/vdb zeroout 917504 131072
got=$(dd if=/dev/vdb bs=128k skip=7 count=1 iflag=direct 2>/dev/null | md5)
check write-zeroes-reads-zero "md5 $got" eq "$got" "$zero"

# The snapshot disk takes writes and shows them (the host checks the image is untouched).
check snapshot-write "dd to /dev/vdc" dd if=/tmp/rw of=/dev/vdc bs=128k count=1 oflag=direct conv=fsync
echo 3 > /proc/sys/vm/drop_caches
got=$(dd if=/dev/vdc bs=128k count=1 iflag=direct 2>/dev/null | md5)
check snapshot-read-back "md5 $got" eq "$got" "$rw"
got=$(dd if=/dev/vdc bs=128k skip=1 iflag=direct 2>/dev/null | md5)
want=$(dd if=/tmp/pattern bs=128k skip=1 2>/dev/null | md5)
check snapshot-rest-is-image "md5 $got" eq "$got" "$want"

# cache=none: O_DIRECT on the host too; 4 KiB-aligned and 512-byte I/O both work.
check direct-write "dd to /dev/vdd" dd if=/tmp/rw of=/dev/vdd bs=128k count=1 oflag=direct conv=fsync
dd if=/tmp/rw of=/dev/vdd bs=512 seek=301 count=3 oflag=direct 2>/dev/null
echo 3 > /proc/sys/vm/drop_caches
got=$(dd if=/dev/vdd bs=128k count=1 iflag=direct 2>/dev/null | md5)
check direct-read-back "md5 $got" eq "$got" "$rw"
got=$(dd if=/dev/vdd bs=512 skip=301 count=3 iflag=direct 2>/dev/null | md5)
want=$(dd if=/tmp/rw bs=512 count=3 2>/dev/null | md5)
check direct-small-io "md5 $got" eq "$got" "$want"

bad=$(dmesg | grep -E -m1 'virtio.*(error|fail|broken)|I/O error|Buffer I/O|Oops|BUG:|WARNING:' || true)
check dmesg-clean "${bad:-no block errors}" eq "$bad" ""
sync
transport_checks
echo "TESTS DONE"

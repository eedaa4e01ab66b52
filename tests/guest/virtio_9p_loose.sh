#!/bin/sh
# Guest test "virtio_9p_loose": the share remounted with cache=loose (the guest's page
# cache in front of 9P): the file operations again, 64 MiB each way, 10,000 entries, a
# second share under security=none on virtio-pci. The first share runs with workers=0 (every
# request answered on kite's main thread), the second on the worker pool, as virtio_9p.sh's.
# virtio_9p_loose.host checks the host's side.
# kite-args: --share "@WORK@/share,workers=0" --share "@WORK@/none,security=none,tag=none,transport=pci"

. /tests/lib.sh
H=/mnt/host
G=$H/g
F=/tests/bin/fsops

umount $H
check mount-loose "remounted with cache=loose" \
    mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose host $H
check loose-opt "the mount says so" grep -q '^host /mnt/host 9p .*cache=loose\|^host /mnt/host 9p .*cache=0xf\|^host /mnt/host 9p .*loose' /proc/mounts
mkdir -p $G

echo hello > $G/f
echo more >> $G/f
check create-append "create and append" eq "$(cat $G/f | tr '\n' ' ')" "hello more "
truncate -s 3 $G/f
check truncate "truncate" eq "$(stat -c %s $G/f):$(cat $G/f)" 3:hel
mkdir -p $G/a $G/b
mv $G/f $G/a/f
mv $G/a $G/b/
check rename "renames across directories" eq "$(cat $G/b/a/f)" hel
ln $G/b/a/f $G/hl
check link-count "hard link count" eq "$(stat -c %h $G/b/a/f)" 2
ln -s b/a/f $G/sl
check symlink "symlink" eq "$(readlink $G/sl):$(cat $G/sl)" b/a/f:hel
check unlinked-open "unlinked while open" eq "$($F unlinked $G/tmpfile)" still-here
check big-from-host "64 MiB from the host" eq "$(md5sum < $H/host-big.bin | cut -d' ' -f1)" \
    "$(cat $H/host-big.md5)"
dd if=/dev/urandom of=$H/guest-big.bin bs=1M count=64 2>/dev/null
md5sum < $H/guest-big.bin | cut -d' ' -f1 > $H/guest-big.md5
check many "10,000 entries, each once" eq "$(ls $H/many | sort -u | wc -l)" 10000
check statfs "statfs" num_between "$(stat -f -c %b $H)" 1 999999999999

# security=none: ownership changes are accepted and ignored.
echo n > /mnt/none/file
chown 1234:5678 /mnt/none/file
check none-chown-ignored "chown under security=none is ignored" \
    eq "$(stat -c %u:%g /mnt/none/file)" 0:0
chmod 600 /mnt/none/file
check none-chmod "chmod under security=none" eq "$(stat -c %a /mnt/none/file)" 600
check none-on-pci "the none share is a virtio-pci device" \
    test -n "$(ls -d /sys/bus/pci/devices/*/virtio*/mount_tag 2>/dev/null)"

sync
umount $H
check umount "unmounted cleanly" fails grep -q '^host ' /proc/mounts
transport_checks
echo "TESTS DONE"

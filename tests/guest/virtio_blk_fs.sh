#!/bin/sh
# Guest test "virtio_blk_fs": filesystems on virtio-blk across a guest reboot, and a
# flushed write that survives kite being killed. Runs on the worker-thread engine.
#   vda  blank: the first boot makes an ext2 filesystem (busybox mke2fs), writes files
#        and reboots without unmounting; the second boot finds them intact
#   vdb  an ext4 filesystem the host built (mke2fs -d); the guest reads and writes it
#   vdc  blank: a write the guest flushed right before the host SIGKILLs kite
#   vdd  a snapshot: a write of the first boot is still there in the second (the overlay
#        lives as long as kite), and the image itself is untouched
# virtio_blk_fs.host makes the images, kills kite at KITE-KILL-NOW and then checks the
# images with e2fsck and debugfs.
# kite-args: --disk "@WORK@/guest fs.img,serial=guestfs" --disk "@WORK@/host-ext4.img,serial=hostfs" --disk "@WORK@/kill.img,serial=kill" --disk "@WORK@/snap.img,snapshot,serial=snap"
# kite-env: KITE_BLOCK_BACKEND=thread

. /tests/lib.sh
md5() { md5sum | cut -d' ' -f1; }

magic=$(dd if=/dev/vda bs=1 skip=1080 count=2 2>/dev/null | od -An -tx1 | tr -d ' ')
mkdir -p /mnt
if [ "$magic" != 53ef ]; then
    echo "kite-fs: first boot"
    check mkfs-in-guest "busybox mke2fs /dev/vda" mke2fs -q /dev/vda
    check mount-new-fs "mount /dev/vda" mount /dev/vda /mnt
    mkdir -p /mnt/dir
    seq 1 20000 > /mnt/dir/numbers
    md5 < /mnt/dir/numbers > /mnt/numbers.md5
    echo hello-from-boot-1 > /mnt/hello.txt
    check files-written "files on the new fs" eq "$(cat /mnt/hello.txt)" hello-from-boot-1
    echo snapshot-write-of-boot-1 | dd of=/dev/vdd bs=512 seek=3 conv=sync,fsync 2>/dev/null
    sync
    echo "kite-fs: rebooting with the filesystem still mounted"
    reboot -f
    sleep 30
    exit 1
fi

echo "kite-fs: second boot"
check fs-survived-reboot "ext2 magic $magic on /dev/vda" eq "$magic" 53ef
check mount-after-reboot "mount /dev/vda" mount /dev/vda /mnt
got=$(cat /mnt/hello.txt 2>/dev/null)
check file-after-reboot "hello.txt: $got" eq "$got" hello-from-boot-1
got=$(md5 < /mnt/dir/numbers)
want=$(seq 1 20000 | md5)
check data-after-reboot "numbers md5 $got (want $want)" eq "$got" "$want"
got=$(dd if=/dev/vdd bs=512 skip=3 count=1 2>/dev/null | head -n1)
check snapshot-kept-across-reboot "sector 3 of vdd: $got" eq "$got" snapshot-write-of-boot-1
echo boot-2 > /mnt/second.txt
check umount-guest-fs "umount /mnt" umount /mnt

check mount-host-fs "mount the host's ext4" mount /dev/vdb /mnt
got=$(cat /mnt/from-host.txt 2>/dev/null)
check host-file "from-host.txt: $got" eq "$got" "made on the host"
got=$(md5 < /mnt/sub/data.txt)
want=$(seq 1 30000 | md5)
check host-data "data.txt md5 $got" eq "$got" "$want"
echo written-by-guest > /mnt/guest.txt
check umount-host-fs "umount /mnt" umount /mnt

seq 4000000 4010000 | head -c 65536 > /tmp/k
check flushed-write "64 KiB to /dev/vdc with fsync" dd if=/tmp/k of=/dev/vdc bs=64k conv=fsync
bad=$(dmesg | grep -E -m1 'I/O error|Buffer I/O|EXT4-fs error|Oops|BUG:|WARNING:' || true)
check dmesg-clean "${bad:-no block or filesystem errors}" eq "$bad" ""
transport_checks
echo "TESTS DONE"
# The host kills kite when it sees this: the write above must be in the image.
echo "KITE-KILL-NOW"
sleep 600

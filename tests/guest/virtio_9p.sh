#!/bin/sh
# Guest test "virtio_9p": host folders shared over virtio-9p, mounted by /init at /mnt/TAG
# (cache=none): file operations, links, owners, xattrs, locks against a lock the host
# holds, 64 MiB each way, a directory of 10,000 entries, a read-only share and a mapped
# one. virtio_9p.host makes the trees and checks afterwards what the host sees.
# kite-args: --share "@WORK@/share" --share "@WORK@/ro,ro,tag=ro" --share "@WORK@/mapped,security=mapped,tag=mapped"

. /tests/lib.sh
H=/mnt/host
G=$H/g
F=/tests/bin/fsops

check mounted "the share is at /mnt/host" grep -q '^host /mnt/host 9p' /proc/mounts
check mounted-all "every tag is mounted" eq "$(grep -c ' 9p ' /proc/mounts)" 3
check host-file "a file the host made" eq "$(cat $H/from-host.txt)" "made on the host"
mkdir -p $G

# Files: create, append, overwrite in the middle, truncate.
echo hello > $G/f
check create "a new file reads back" eq "$(cat $G/f)" hello
echo more >> $G/f
check append "appended" eq "$(cat $G/f | tr '\n' ' ')" "hello more "
printf XY | dd of=$G/f bs=1 seek=1 conv=notrunc 2>/dev/null
check overwrite "written in the middle" eq "$(head -c 5 $G/f)" hXYlo
truncate -s 3 $G/f
check truncate "truncated to 3 bytes" eq "$(stat -c %s $G/f):$(cat $G/f)" 3:hXY

# Directories and renames across them.
mkdir -p $G/d1/d2 $G/gone
check mkdir "nested directories" test -d $G/d1/d2
check rmdir-nonempty "rmdir of a non-empty directory fails" fails rmdir $G/d1
rmdir $G/d1/d2 $G/gone
check rmdir "rmdir" fails test -e $G/d1/d2
mv $G/f $G/d1/f2
check rename-file "a file renamed into another directory" eq "$(cat $G/d1/f2)" hXY
mkdir $G/d3
mv $G/d1 $G/d3/
check rename-dir "a directory renamed into another" eq "$(cat $G/d3/d1/f2)" hXY
check rename-old-gone "the old names are gone" fails test -e $G/d1

# Hard links and symlinks.
ln $G/d3/d1/f2 $G/hl
check link-count "two links" eq "$(stat -c %h $G/d3/d1/f2)" 2
check link-same "a hard link is the same file" eq "$(stat -c %i $G/hl)" "$(stat -c %i $G/d3/d1/f2)"
rm $G/hl
check link-count-after "one link after rm" eq "$(stat -c %h $G/d3/d1/f2)" 1
ln -s d3/d1/f2 $G/sl
check symlink "a symlink and its target" eq "$(readlink $G/sl):$(cat $G/sl)" d3/d1/f2:hXY
check host-symlink-out "a host symlink out of the share is only text" \
    eq "$(readlink $H/out-link)" ../secret.txt
check host-symlink-not-followed "following it stays in the guest" fails cat $H/out-link

# Modes, owners, xattrs.
echo m > $G/modes
chmod 640 $G/modes
check chmod "chmod" eq "$(stat -c %a $G/modes)" 640
echo o > $G/owned
chown 1234:5678 $G/owned
check chown "chown" eq "$(stat -c %u:%g $G/owned)" 1234:5678
$F setxattr $G/modes user.colour blue
check xattr "a user xattr set and read back" eq "$($F getxattr $G/modes user.colour)" blue

# Locks: between guest processes, and against the lock a host process holds.
echo l > $G/lockme
check locks-guest "a second process conflicts (fcntl and flock)" \
    eq "$($F lockpair $G/lockme)" "fcntl:busy flock:busy"
check lock-host-fcntl "the host's lock blocks a guest fcntl lock" eq "$($F fcntl $H/locked.txt)" busy
check lock-host-flock "and a guest flock" eq "$($F flock $H/locked.txt)" busy
check lock-free "a free file locks" eq "$($F fcntl $G/lockme)" locked
rm $G/lockme

check statfs "statfs has blocks and a block size" \
    num_between "$(stat -f -c %b $H)" 1 999999999999
check unlinked-open "an unlinked file stays readable while open" \
    eq "$($F unlinked $G/tmpfile)" still-here

# 64 MiB each way, and 10,000 entries.
check big-from-host "64 MiB the host wrote" eq "$(md5sum < $H/host-big.bin | cut -d' ' -f1)" \
    "$(cat $H/host-big.md5)"
dd if=/dev/urandom of=$H/guest-big.bin bs=1M count=64 2>/dev/null
md5sum < $H/guest-big.bin | cut -d' ' -f1 > $H/guest-big.md5
check big-size "64 MiB written" eq "$(stat -c %s $H/guest-big.bin)" 67108864
check many "10,000 entries, each once" eq "$(ls $H/many | sort -u | wc -l)" 10000
check many-last "the last one too" test -e $H/many/entry-10000

# Several processes at once, so the device's workers have requests in flight together
# (replies come back out of order): four writers and a reader of the host's 64 MiB.
for i in 1 2 3 4; do
    (head -c 4194304 /dev/urandom | tee $H/par$i | md5sum > /tmp/par$i.want) &
done
(md5sum < $H/host-big.bin > /tmp/par-big.got) &
wait
ok=0
for i in 1 2 3 4; do
    [ "$(md5sum < $H/par$i)" = "$(cat /tmp/par$i.want)" ] && ok=$((ok + 1))
done
[ "$(cut -d' ' -f1 /tmp/par-big.got)" = "$(cat $H/host-big.md5)" ] && ok=$((ok + 1))
check parallel "4 writers and a reader at once, every byte right" eq "$ok" 5

# The read-only share refuses every change.
check ro-read "ro share reads" eq "$(cat /mnt/ro/file.txt)" "read only"
check ro-create "ro: create fails" fails touch /mnt/ro/new
check ro-write "ro: write fails" fails sh -c 'echo x >> /mnt/ro/file.txt'
check ro-mkdir "ro: mkdir fails" fails mkdir /mnt/ro/d
check ro-rm "ro: rm fails" fails rm /mnt/ro/file.txt
check ro-chmod "ro: chmod fails" fails chmod 777 /mnt/ro/file.txt
check ro-rename "ro: rename fails" fails mv /mnt/ro/sub /mnt/ro/sub2

# Mapped: owners, setuid bits and special files without host privileges.
M=/mnt/mapped
echo s > $M/suid
chown 4321:8765 $M/suid
chmod 4755 $M/suid
mkfifo $M/fifo
mknod $M/null c 1 3
umount $M && mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 mapped $M
check mapped-owner "owner kept across a remount" eq "$(stat -c %u:%g $M/suid)" 4321:8765
check mapped-mode "setuid mode kept" eq "$(stat -c %a $M/suid)" 4755
check mapped-fifo "a fifo" eq "$(stat -c %F $M/fifo)" fifo
check mapped-chardev "a character device 1:3" eq "$(stat -c '%F %t:%T' $M/null)" \
    "character special file 1:3"
check mapped-dev-local "the guest opens its device node locally" \
    sh -c "echo gone > $M/null"

sync
transport_checks
echo "TESTS DONE"

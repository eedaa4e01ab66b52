# Block benchmark: 1 MiB O_DIRECT sequential write and read, 4 KiB random reads on
# /dev/vda (bench/blk/blkbench.c, packed as /bin/kite-blkbench).
/bin/kite-blkbench /dev/vda

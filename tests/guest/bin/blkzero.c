/*
 * blkzero DEV zeroout|discard OFFSET LENGTH: the BLKZEROOUT or BLKDISCARD ioctl on a block
 * device, which busybox has no applet for. Linux turns BLKZEROOUT into WRITE_ZEROES
 * requests when the device offers them, and BLKDISCARD into DISCARD requests.
 * Built static for riscv64 by guest/mk-tests-cpio.sh; runs as /tests/bin/blkzero.
 */
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: blkzero DEV zeroout|discard OFFSET LENGTH\n");
        return 2;
    }
    unsigned long req;
    if (!strcmp(argv[2], "zeroout"))
        req = BLKZEROOUT;
    else if (!strcmp(argv[2], "discard"))
        req = BLKDISCARD;
    else {
        fprintf(stderr, "blkzero: unknown operation %s\n", argv[2]);
        return 2;
    }
    uint64_t range[2] = {strtoull(argv[3], NULL, 0), strtoull(argv[4], NULL, 0)};
    int fd = open(argv[1], O_RDWR);
    if (fd < 0) {
        perror(argv[1]);
        return 1;
    }
    if (ioctl(fd, req, range) != 0) {
        perror("ioctl");
        return 1;
    }
    close(fd);
    return 0;
}

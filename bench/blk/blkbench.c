/*
 * In-guest block benchmark (static riscv64 binary, run by bench/guest/blk.sh):
 * sequential write of SEQ_MIB MiB in 1 MiB O_DIRECT requests (then fdatasync),
 * READ_PASSES sequential reads of it, then RAND_N random 4 KiB O_DIRECT reads.
 * Prints "BENCH <key> <seconds>" lines for bench/run.py.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024 * 1024)
#define SEQ_MIB 64
#define READ_PASSES 4           /* reads are fast: enough of them to time well */
#define RAND_N 4000
#define SPAN_MIB 64

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *dev = argc > 1 ? argv[1] : "/dev/vda";
    int fd = open(dev, O_RDWR | O_DIRECT);
    if (fd < 0) {
        perror(dev);
        return 1;
    }
    void *buf;
    if (posix_memalign(&buf, 4096, MIB))
        return 1;
    for (int i = 0; i < MIB; i++)
        ((uint8_t *)buf)[i] = (uint8_t)(i * 31 + 7);

    double t0 = now();
    for (int i = 0; i < SEQ_MIB; i++)
        if (pwrite(fd, buf, MIB, (off_t)i * MIB) != MIB) {
            perror("pwrite");
            return 1;
        }
    if (fdatasync(fd) < 0) {
        perror("fdatasync");
        return 1;
    }
    double t1 = now();
    for (int i = 0; i < READ_PASSES * SEQ_MIB; i++)
        if (pread(fd, buf, MIB, (off_t)(i % SEQ_MIB) * MIB) != MIB) {
            perror("pread");
            return 1;
        }
    double t2 = now();
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < RAND_N; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        off_t at = (off_t)(x % (SPAN_MIB * 256ULL)) * 4096;
        if (pread(fd, buf, 4096, at) != 4096) {
            perror("pread 4k");
            return 1;
        }
    }
    double t3 = now();
    printf("BENCH seq_write_64MiB_s %.3f\n", t1 - t0);
    printf("BENCH seq_read_256MiB_s %.3f\n", t2 - t1);
    printf("BENCH rand_read_4k_x4000_s %.3f\n", t3 - t2);
    printf("BENCH-INFO write %.1f MB/s, read %.1f MB/s, 4k random read %.0f IOPS\n",
           SEQ_MIB / (t1 - t0), READ_PASSES * SEQ_MIB / (t2 - t1), RAND_N / (t3 - t2));
    close(fd);
    return 0;
}

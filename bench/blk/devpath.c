/*
 * Host CPU per request in kite's virtio-blk path: the device (virtqueue pop, header
 * checks, used ring, interrupt decision), the raw-file backend (io_uring or worker
 * threads, eventfd completion) and the host kernel's side of the I/O, with no guest CPU
 * in the way. A simulated driver (tests/unit/test_virtio_driver.h) keeps BATCH requests
 * in flight on an image that sits in the host page cache.
 *
 * usage: devpath [REQUESTS]     prints one line per request kind
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "backend/block.h"
#include "core/event_loop.h"
#include "test_virtio_driver.h"
#include "virtio/blk.h"

#define QSIZE 128
#define BATCH 32
#define Q0 (SIM_RAM_BASE + 0x1000)
#define HDR (SIM_RAM_BASE + 0x8000)
#define STATUS (SIM_RAM_BASE + 0x9000)
#define DATA (SIM_RAM_BASE + 0x10000)
#define IMG_MIB 64

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct rig {
    struct sim_ram ram;
    struct event_loop loop;
    struct block_device *bd;
    struct virtio_blk *blk;
    struct sim_drv d;
};

static void post(struct rig *r, unsigned slot, uint32_t type, uint64_t sector, uint32_t len,
                 uint64_t data)
{
    uint8_t *h = sim_host(&r->ram, HDR + 16 * slot);
    memset(h, 0, 16);
    memcpy(h, &type, 4);
    memcpy(h + 8, &sector, 8);
    unsigned d = 3 * slot;
    uint16_t dir = type == VIRTIO_BLK_T_IN ? VIRTQ_DESC_F_WRITE : 0;
    sim_set_desc(&r->d, 0, d, HDR + 16 * slot, 16, VIRTQ_DESC_F_NEXT, d + 1);
    sim_set_desc(&r->d, 0, d + 1, data, len, VIRTQ_DESC_F_NEXT | dir, d + 2);
    sim_set_desc(&r->d, 0, d + 2, STATUS + slot, 1, VIRTQ_DESC_F_WRITE, 0);
    sim_post(&r->d, 0, (uint16_t)d);
}

static void run(struct rig *r, const char *what, uint32_t type, uint32_t len, unsigned n)
{
    unsigned posted = 0, done = 0;
    uint64_t x = 88172645463325252ULL;
    uint64_t span = ((uint64_t)IMG_MIB << 20) / len;
    double c0 = cpu_seconds(), w0 = wall_seconds();
    while (done < n) {
        while (posted < n && posted - done < BATCH) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            unsigned slot = posted % BATCH;
            post(r, slot, type, (x % span) * (len / 512), len,
                 DATA + (uint64_t)slot * (len < 65536 ? 65536 : len));
            posted++;
        }
        sim_notify(&r->d, 0);
        event_loop_poll(&r->loop, 1000000000ULL);
        uint32_t id, l;
        while (sim_reap(&r->d, 0, &id, &l)) {
            if (*(uint8_t *)sim_host(&r->ram, STATUS + id / 3) != VIRTIO_BLK_S_OK) {
                fprintf(stderr, "devpath: request failed\n");
                exit(1);
            }
            done++;
        }
    }
    double c = cpu_seconds() - c0, w = wall_seconds() - w0;
    printf("devpath: %-22s %7.2f us host CPU per request (%u requests, %.0f per second, "
           "%s)\n", what, 1e6 * c / n, n, n / w, block_engine_name(r->bd));
}

int main(int argc, char **argv)
{
    unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 20000;
    char path[] = "/tmp/kite-devpath-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || ftruncate(fd, (off_t)IMG_MIB << 20) < 0)
        return 1;
    /* Allocated and in the page cache: the host kernel's part is a memory copy. */
    static uint8_t chunk[1 << 20];
    memset(chunk, 0x5a, sizeof(chunk));
    for (int i = 0; i < IMG_MIB; i++)
        if (pwrite(fd, chunk, sizeof(chunk), (off_t)i << 20) != (ssize_t)sizeof(chunk))
            return 1;
    close(fd);

    struct rig *r = calloc(1, sizeof(*r));
    /* 64 MiB of guest RAM: BATCH buffers of up to 1 MiB. */
    memset(&r->ram, 0, sizeof(r->ram));
    r->ram.host = aligned_alloc(4096, 64 << 20);
    r->ram.mem = (struct guest_mem){.base = SIM_RAM_BASE, .size = 64 << 20,
                                    .host = r->ram.host};
    event_loop_init(&r->loop);
    struct block_config bc = {.path = path};
    if (block_open(&bc, &r->loop, &r->bd) < 0)
        return 1;
    r->blk = virtio_blk_new(&r->ram.mem, r->bd, NULL);
    sim_attach(&r->d, &r->ram, virtio_blk_device(r->blk));
    if (!sim_negotiate(&r->d, sim_offered(&r->d)) || !sim_queue_setup(&r->d, 0, QSIZE, Q0) ||
        !sim_driver_ok(&r->d))
        return 1;
    run(r, "4 KiB random read", VIRTIO_BLK_T_IN, 4096, n);
    run(r, "4 KiB random write", VIRTIO_BLK_T_OUT, 4096, n);
    run(r, "1 MiB random read", VIRTIO_BLK_T_IN, 1 << 20, n / 20);
    virtio_mmio_free(r->d.t);
    virtio_blk_free(r->blk);
    block_close(r->bd);
    unlink(path);
    return 0;
}

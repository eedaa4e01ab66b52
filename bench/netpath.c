/*
 * bench/netpath: host CPU per packet in kite's virtio-net device path, in process: a
 * simulated driver on virtio-mmio (through kite's MMIO bus, as the hart's stores go) posts
 * frames on the transmit queue and receive buffers on the receive queue; a null backend
 * takes every transmitted frame and hands frames back as fast as the device takes them.
 * What is timed is the transport, the VirtIO core, the chain walk with its checks, the
 * device's header handling and copies, and the interrupt decision: everything but the
 * guest's CPU and the host's network stack. No QEMU peer exists for an in-process figure.
 *
 *   usage: build/bench/netpath [--count N] [--rounds N]
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/net.h"
#include "core/guest_mem.h"
#include "core/mmio.h"
#include "virtio/mmio.h"
#include "virtio/net.h"

#define RAM_BASE 0x80000000ULL
#define RAM_SIZE (8ULL << 20)
#define QSIZE 256
#define MMIO_AT 0x10001000ULL
#define RXQ (RAM_BASE + 0x10000)
#define TXQ (RAM_BASE + 0x20000)
#define CTRLQ (RAM_BASE + 0x30000)
#define BUFS (RAM_BASE + 0x100000)      /* 2 KiB per descriptor slot */
#define BATCH 32

struct drv_queue {
    uint64_t desc, avail, used;
    uint16_t avail_idx, used_seen;
};

struct bench {
    uint8_t *ram;
    struct guest_mem mem;
    struct mmio_bus bus;
    struct virtio_mmio *t;
    struct virtio_net *net;
    struct net_backend be;
    struct drv_queue q[3];
    int irq;
    uint64_t sent, delivered;
    uint8_t frame[1514];
};

static void *host(struct bench *b, uint64_t gpa)
{
    return b->ram + (gpa - RAM_BASE);
}

static void wr(struct bench *b, uint64_t off, uint32_t v)
{
    mmio_bus_write(&b->bus, MMIO_AT + off, 4, v);
}

static uint32_t rd(struct bench *b, uint64_t off)
{
    uint64_t v = 0;
    mmio_bus_read(&b->bus, MMIO_AT + off, 4, &v);
    return (uint32_t)v;
}

static int null_write(void *opaque, const struct iovec *iov, unsigned iovcnt)
{
    ((struct bench *)opaque)->sent++;
    return 0;
}

static const struct net_backend_ops null_ops = {.write_packet = null_write};

static void set_irq(void *opaque, int line, int level)
{
    ((struct bench *)opaque)->irq = level;
}

static void set_desc(struct bench *b, unsigned q, unsigned i, uint64_t addr, uint32_t len,
                     uint16_t flags)
{
    uint8_t *p = host(b, b->q[q].desc + 16ULL * i);
    uint16_t next = 0;
    memcpy(p, &addr, 8);
    memcpy(p + 8, &len, 4);
    memcpy(p + 12, &flags, 2);
    memcpy(p + 14, &next, 2);
}

static void post(struct bench *b, unsigned q, uint16_t head)
{
    struct drv_queue *dq = &b->q[q];
    uint8_t *a = host(b, dq->avail);
    memcpy(a + 4 + 2 * (dq->avail_idx % QSIZE), &head, 2);
    dq->avail_idx++;
    __atomic_store_n((uint16_t *)(void *)(a + 2), dq->avail_idx, __ATOMIC_RELEASE);
}

static unsigned reap(struct bench *b, unsigned q)
{
    struct drv_queue *dq = &b->q[q];
    uint16_t now = __atomic_load_n((uint16_t *)host(b, dq->used + 2), __ATOMIC_ACQUIRE);
    unsigned n = (uint16_t)(now - dq->used_seen);
    dq->used_seen = now;
    return n;
}

static void ack(struct bench *b)
{
    if (b->irq)
        wr(b, VIRTIO_MMIO_INTERRUPT_ACK, rd(b, VIRTIO_MMIO_INTERRUPT_STATUS));
}

static int bring_up(struct bench *b)
{
    wr(b, VIRTIO_MMIO_STATUS, 0);
    wr(b, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    uint64_t f = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_NET_F_MAC;
    for (unsigned sel = 0; sel < 2; sel++) {
        wr(b, VIRTIO_MMIO_DRIVER_FEATURES_SEL, sel);
        wr(b, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f >> (32 * sel)));
    }
    uint32_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
    wr(b, VIRTIO_MMIO_STATUS, st);
    const uint64_t base[3] = {RXQ, TXQ, CTRLQ};
    for (unsigned q = 0; q < 3; q++) {
        struct drv_queue *dq = &b->q[q];
        unsigned size = q == 2 ? 64 : QSIZE;    /* the control queue is small */
        dq->desc = base[q];
        dq->avail = base[q] + 16 * size;
        dq->used = (dq->avail + 6 + 2 * size + 3) & ~3ULL;
        wr(b, VIRTIO_MMIO_QUEUE_SEL, q);
        wr(b, VIRTIO_MMIO_QUEUE_NUM, size);
        wr(b, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)dq->desc);
        wr(b, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(dq->desc >> 32));
        wr(b, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)dq->avail);
        wr(b, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(dq->avail >> 32));
        wr(b, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)dq->used);
        wr(b, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(dq->used >> 32));
        wr(b, VIRTIO_MMIO_QUEUE_READY, 1);
    }
    wr(b, VIRTIO_MMIO_STATUS, st | VIRTIO_STATUS_DRIVER_OK);
    return (rd(b, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DRIVER_OK) ? 0 : -EIO;
}

/* BATCH 1500-byte frames sent by the guest: post, kick, take the interrupt, reap. */
static int tx_batch(struct bench *b)
{
    for (unsigned i = 0; i < BATCH; i++)
        post(b, 1, (uint16_t)(b->q[1].avail_idx % QSIZE));
    wr(b, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
    ack(b);
    return reap(b, 1) == BATCH ? 0 : -EIO;
}

/* BATCH frames of `len` bytes for the guest: buffers posted, the backend delivers, reap. */
static int rx_batch(struct bench *b, size_t len)
{
    for (unsigned i = 0; i < BATCH; i++)
        post(b, 0, (uint16_t)(b->q[0].avail_idx % QSIZE));
    wr(b, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    struct iovec iov = {b->frame, len};
    for (unsigned i = 0; i < BATCH; i++)
        net_backend_deliver(&b->be, &iov, 1);
    ack(b);
    return reap(b, 0) == BATCH ? 0 : -EIO;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    unsigned long count = 200000;
    unsigned rounds = 15;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--count") && i + 1 < argc)
            count = strtoul(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = (unsigned)strtoul(argv[++i], NULL, 0);
        else {
            fprintf(stderr, "usage: %s [--count N] [--rounds N]\n", argv[0]);
            return 2;
        }
    }
    if (!count || !rounds || rounds > 1000) {
        fprintf(stderr, "netpath: count and rounds must be positive (rounds <= 1000)\n");
        return 2;
    }
    static struct bench b;
    b.ram = aligned_alloc(4096, RAM_SIZE);
    if (!b.ram)
        return 1;
    memset(b.ram, 0, RAM_SIZE);
    b.mem = (struct guest_mem){.base = RAM_BASE, .size = RAM_SIZE, .host = b.ram};
    b.be = (struct net_backend){.ops = &null_ops, .opaque = &b, .kind = "null",
                                .carrier = true};
    static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    b.net = virtio_net_new(&b.mem, &b.be, mac);
    struct irq_line irq = {.set = set_irq, .opaque = &b, .line = 1};
    if (!b.net || !(b.t = virtio_mmio_new(virtio_net_device(b.net), irq)))
        return 1;
    struct mmio_region r = virtio_mmio_region(b.t, MMIO_AT);
    if (mmio_bus_add(&b.bus, &r) < 0 || bring_up(&b) < 0) {
        fprintf(stderr, "netpath: the device did not come up\n");
        return 1;
    }
    /* Every descriptor slot once: transmit slots hold a header + 1500-byte frame (a
     * broadcast, so no filter drops it), receive slots a buffer of 2 KiB. */
    memset(b.frame, 0xff, 6);
    for (unsigned i = 0; i < QSIZE; i++) {
        uint64_t tx = BUFS + 4096ULL * i, rx = tx + 2048;
        uint8_t *p = host(&b, tx);
        memset(p, 0, NET_VNET_HDR_LEN);
        memset(p + NET_VNET_HDR_LEN, 0xff, 6);
        set_desc(&b, 1, i, tx, NET_VNET_HDR_LEN + 1500, 0);
        set_desc(&b, 0, i, rx, 2048, VIRTQ_DESC_F_WRITE);
    }
    printf("netpath: a simulated driver -> kite's MMIO bus -> virtio-mmio -> VirtIO core ->\n"
           "virtio-net -> a null backend, and back; %u frames per kick. %u rounds of %lu\n"
           "frames each way: ns per frame of the fastest round, and the median round.\n\n",
           BATCH, rounds, count);
    printf("%-34s %8s %8s %8s\n", "path", "ns/frame", "median", "Mpps");
    /* Transmit 1500-byte frames; receive 60- and 1500-byte ones. */
    static const struct { const char *name; int rx; size_t len; } cases[] = {
        {"guest -> host, 1500-byte frames", 0, 1500},
        {"host -> guest, 60-byte frames", 1, 60},
        {"host -> guest, 1500-byte frames", 1, 1500},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        static double v[1000];
        unsigned long batches = (count + BATCH - 1) / BATCH;
        for (unsigned rr = 0; rr < rounds; rr++) {
            uint64_t t0 = now_ns();
            for (unsigned long n = 0; n < batches; n++) {
                if ((cases[c].rx ? rx_batch(&b, cases[c].len) : tx_batch(&b)) < 0) {
                    fprintf(stderr, "netpath: a batch did not complete\n");
                    return 1;
                }
            }
            v[rr] = (double)(now_ns() - t0) / (double)(batches * BATCH);
        }
        qsort(v, rounds, sizeof(v[0]), cmp_double);
        printf("%-34s %8.1f %8.1f %8.2f\n", cases[c].name, v[0], v[rounds / 2], 1e3 / v[0]);
    }
    const struct virtio_net_stats *st = virtio_net_stats(b.net);
    if (st->rx_dropped_backlog || st->rx_dropped_bad || st->tx_dropped_bad ||
        b.sent != st->tx_frames || !b.sent) {
        fprintf(stderr, "netpath: the device dropped frames\n");
        return 1;
    }
    virtio_mmio_free(b.t);
    virtio_net_free(b.net);
    free(b.ram);
    return 0;
}

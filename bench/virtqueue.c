/*
 * bench/virtqueue: what one request costs in kite's device layer, without the CPU emulation.
 *
 * A simulated driver in this process does what Linux's virtio_ring does for a split queue:
 * it puts a chain's head in the available ring, publishes avail.idx, decides whether to
 * notify (used.flags NO_NOTIFY, or avail_event with EVENT_IDX), writes QueueNotify through
 * the virtio-mmio register callback, and when the interrupt line is up reads and acks
 * InterruptStatus, then reaps the used ring. The device is either a "null" device on the
 * VirtIO core (it pops each request, writes a one-byte status into the last writable buffer
 * and completes it) or the real virtio-rng with a memset entropy source. Everything below
 * the register callbacks is kite's code: transport, core, queue walker, guest_mem checks,
 * used ring and interrupt decision.
 *
 * Each case runs WARMUP requests, then ROUNDS timed rounds of COUNT requests; the rounds of
 * all cases are interleaved (each case keeps its own device and RAM) so that they all see the
 * same host noise. It prints the fastest round's ns per request (on a shared host the minimum
 * is the figure that repeats; the median shows the noise), requests per second at that rate,
 * and how many notifies and interrupts the driver saw per request. Nothing is compared with
 * QEMU: there is no in-process peer.
 *
 *   usage: build/bench/virtqueue [--count N] [--rounds N]
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/guest_mem.h"
#include "core/mmio.h"
#include "hw/pci_host.h"
#include "virtio/device.h"
#include "virtio/mmio.h"
#include "virtio/pci.h"
#include "virtio/queue.h"
#include "virtio/rng.h"

#define RAM_BASE 0x80000000ULL
#define RAM_SIZE (2ULL << 20)
#define QSIZE 256
#define DESC_GPA (RAM_BASE + 0x10000)
#define AVAIL_GPA (RAM_BASE + 0x20000)
#define USED_GPA (RAM_BASE + 0x30000)
#define TABLES_GPA (RAM_BASE + 0x40000)     /* indirect tables, 48 bytes each */
#define BUFS_GPA (RAM_BASE + 0x100000)      /* 8 KiB of buffers per in-flight request */
#define MAX_BATCH 64
#define WARMUP 20000
#define MAX_ROUNDS 1000

enum shape { SHAPE_ONE, SHAPE_THREE, SHAPE_THREE_INDIRECT };

/* How the driver reaches the device: virtio-mmio, or virtio-pci behind the ECAM bridge with
 * INTx (ISR read) or MSI-X (a message, nothing to acknowledge). Both through kite's MMIO bus,
 * as the hart's loads and stores go. */
enum transport { T_MMIO, T_PCI_INTX, T_PCI_MSIX };

static const char *const transport_names[] = {
    [T_MMIO] = "mmio", [T_PCI_INTX] = "pci", [T_PCI_MSIX] = "pci+msix",
};

#define MMIO_AT 0x10001000ULL
#define ECAM 0x30000000ULL
#define BAR1_AT 0x40000000ULL
#define BAR4_AT 0x400000000ULL

static const char *const shape_names[] = {
    [SHAPE_ONE] = "1 desc (512 B writable)",
    [SHAPE_THREE] = "3 desc (16 B out, 4 KiB + 1 B in)",
    [SHAPE_THREE_INDIRECT] = "3 desc in an indirect table",
};

struct bench_case {
    enum shape shape;
    bool event_idx;
    unsigned batch;
    bool rng;           /* the real virtio-rng instead of the null device */
    enum transport transport;
};

/* The driver's side of one queue, plus the machine bits it touches. */
struct bench_drv {
    uint8_t *ram;
    struct guest_mem mem;
    struct mmio_bus bus;
    enum transport transport;
    struct virtio_mmio *t;
    struct pci_host *host;
    struct virtio_pci *vp;
    bool event_idx;
    uint16_t avail_idx, used_seen;
    int irq_level;
    uint64_t notifies, interrupts, completed, dirty_bytes;
};

static void *host(struct bench_drv *d, uint64_t gpa)
{
    return d->ram + (gpa - RAM_BASE);
}

static uint16_t load16_acquire(const void *p)
{
    return __atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE);
}

static void store16_release(void *p, uint16_t v)
{
    __atomic_store_n((uint16_t *)p, v, __ATOMIC_RELEASE);
}

static void bench_on_write(void *opaque, uint64_t gpa, uint64_t len)
{
    ((struct bench_drv *)opaque)->dirty_bytes += len;
}

static void bench_irq_set(void *opaque, int line, int level)
{
    ((struct bench_drv *)opaque)->irq_level = level;
}

static void bench_msi(void *opaque, uint64_t addr, uint32_t data)
{
    ((struct bench_drv *)opaque)->irq_level = 1;
}

static void bus_wr(struct bench_drv *d, uint64_t addr, uint64_t v, unsigned size)
{
    mmio_bus_write(&d->bus, addr, size, v);
}

static uint64_t bus_rd(struct bench_drv *d, uint64_t addr, unsigned size)
{
    uint64_t v = 0;
    mmio_bus_read(&d->bus, addr, size, &v);
    return v;
}

static void drv_notify(struct bench_drv *d)
{
    if (d->transport == T_MMIO)
        bus_wr(d, MMIO_AT + VIRTIO_MMIO_QUEUE_NOTIFY, 0, 4);
    else
        bus_wr(d, BAR4_AT + VIRTIO_PCI_NOTIFY, 0, 2);
}

/* What the guest's interrupt handler does to the device before reaping. */
static void drv_ack(struct bench_drv *d)
{
    switch (d->transport) {
    case T_MMIO: {
        uint32_t isr = (uint32_t)bus_rd(d, MMIO_AT + VIRTIO_MMIO_INTERRUPT_STATUS, 4);
        bus_wr(d, MMIO_AT + VIRTIO_MMIO_INTERRUPT_ACK, isr, 4);
        break;
    }
    case T_PCI_INTX:
        (void)bus_rd(d, BAR4_AT + VIRTIO_PCI_ISR, 1);
        break;
    case T_PCI_MSIX:
        d->irq_level = 0;       /* a message: nothing to read */
        break;
    }
}

static void set_desc(uint8_t *table, unsigned idx, uint64_t addr, uint32_t len, uint16_t flags,
                     uint16_t next)
{
    uint8_t *p = table + 16 * idx;
    memcpy(p, &addr, 8);
    memcpy(p + 8, &len, 4);
    memcpy(p + 12, &flags, 2);
    memcpy(p + 14, &next, 2);
}

/* Builds request slot i's chain once; returns its head. Requests reuse their slot. */
static uint16_t build_chain(struct bench_drv *d, enum shape shape, unsigned i)
{
    uint8_t *desc = host(d, DESC_GPA);
    uint64_t buf = BUFS_GPA + 8192ULL * i;
    switch (shape) {
    case SHAPE_ONE:
        set_desc(desc, i, buf, 512, VIRTQ_DESC_F_WRITE, 0);
        return (uint16_t)i;
    case SHAPE_THREE: {
        uint16_t h = (uint16_t)(3 * i);
        set_desc(desc, h, buf, 16, VIRTQ_DESC_F_NEXT, h + 1);
        set_desc(desc, h + 1, buf + 512, 4096, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, h + 2);
        set_desc(desc, h + 2, buf + 4608, 1, VIRTQ_DESC_F_WRITE, 0);
        return h;
    }
    case SHAPE_THREE_INDIRECT: {
        uint64_t tgpa = TABLES_GPA + 48ULL * i;
        uint8_t *table = host(d, tgpa);
        set_desc(table, 0, buf, 16, VIRTQ_DESC_F_NEXT, 1);
        set_desc(table, 1, buf + 512, 4096, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
        set_desc(table, 2, buf + 4608, 1, VIRTQ_DESC_F_WRITE, 0);
        set_desc(desc, i, tgpa, 48, VIRTQ_DESC_F_INDIRECT, 0);
        return (uint16_t)i;
    }
    }
    return 0;
}

/* vring_need_event() of the VirtIO spec (2.7.10). */
static bool need_event(uint16_t event, uint16_t now, uint16_t old)
{
    return (uint16_t)(now - event - 1) < (uint16_t)(now - old);
}

/* One batch: post, notify if the device asks for it, take the interrupt, reap. */
static int run_batch(struct bench_drv *d, const uint16_t *heads, unsigned batch)
{
    uint8_t *avail = host(d, AVAIL_GPA), *used = host(d, USED_GPA);
    uint16_t old = d->avail_idx;
    if (d->event_idx) {
        /* Interrupt me once the whole batch is back (virtqueue_enable_cb_delayed). */
        uint16_t ev = (uint16_t)(d->used_seen + batch - 1);
        memcpy(avail + 4 + 2 * QSIZE, &ev, 2);
    }
    for (unsigned i = 0; i < batch; i++) {
        memcpy(avail + 4 + 2 * ((d->avail_idx + i) & (QSIZE - 1)), &heads[i], 2);
    }
    d->avail_idx = (uint16_t)(d->avail_idx + batch);
    store16_release(avail + 2, d->avail_idx);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    bool kick;
    if (d->event_idx) {
        uint16_t ev;
        memcpy(&ev, used + 4 + 8 * QSIZE, 2);
        kick = need_event(ev, d->avail_idx, old);
    } else {
        uint16_t flags;
        memcpy(&flags, used, 2);
        kick = !(flags & VIRTQ_USED_F_NO_NOTIFY);
    }
    if (kick) {
        d->notifies++;
        drv_notify(d);
    }
    if (d->irq_level) {
        d->interrupts++;
        drv_ack(d);
    }
    uint16_t now = load16_acquire(used + 2);
    while (d->used_seen != now) {
        uint32_t id;
        memcpy(&id, used + 4 + 8 * (d->used_seen & (QSIZE - 1)), 4);
        if (id >= QSIZE)
            return -EIO;
        d->used_seen++;
        d->completed++;
    }
    /* Every request is served synchronously by both devices: a short batch is a bug. */
    return d->used_seen == d->avail_idx ? 0 : -EIO;
}

/* The null device: the VirtIO core and queue walker doing all they do, and nothing else. */
static void null_notify(struct virtio_device *dev, unsigned q)
{
    struct virtq_elem *e;
    while (virtio_pop(dev, q, &e)) {
        uint32_t written = 0;
        if (e->in_num) {
            struct iovec *last = &e->iov[e->out_num + e->in_num - 1];
            ((uint8_t *)last->iov_base)[last->iov_len - 1] = 0;     /* status: OK */
            written = 1;
        }
        virtio_complete(dev, q, e, written);
    }
}

static void null_reset(struct virtio_device *dev) {}

static const struct virtio_device_ops null_ops = {
    .queue_notify = null_notify,
    .reset = null_reset,
};

static ssize_t memset_entropy(void *opaque, void *buf, size_t len)
{
    memset(buf, 0x5a, len);
    return (ssize_t)len;
}

static void mmio_wr(struct bench_drv *d, uint64_t off, uint32_t v)
{
    bus_wr(d, MMIO_AT + off, v, 4);
}

/* Reset, negotiate, set up queue 0, DRIVER_OK, all through the registers. */
static int bring_up_mmio(struct bench_drv *d, uint64_t features)
{
    mmio_wr(d, VIRTIO_MMIO_STATUS, 0);
    mmio_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    for (unsigned sel = 0; sel < 2; sel++) {
        mmio_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, sel);
        mmio_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> (32 * sel)));
    }
    uint32_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
    mmio_wr(d, VIRTIO_MMIO_STATUS, st);
    mmio_wr(d, VIRTIO_MMIO_QUEUE_SEL, 0);
    mmio_wr(d, VIRTIO_MMIO_QUEUE_NUM, QSIZE);
    mmio_wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)DESC_GPA);
    mmio_wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(DESC_GPA >> 32));
    mmio_wr(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)AVAIL_GPA);
    mmio_wr(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(AVAIL_GPA >> 32));
    mmio_wr(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)USED_GPA);
    mmio_wr(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(USED_GPA >> 32));
    mmio_wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
    mmio_wr(d, VIRTIO_MMIO_STATUS, st | VIRTIO_STATUS_DRIVER_OK);
    uint32_t got = (uint32_t)bus_rd(d, MMIO_AT + VIRTIO_MMIO_STATUS, 4);
    return (got & VIRTIO_STATUS_DRIVER_OK) ? 0 : -EIO;
}

/* The same on virtio-pci, after placing the BARs as Linux would; with MSI-X, vector 0 for
 * the queue and none for configuration changes. */
static int bring_up_pci(struct bench_drv *d, uint64_t features)
{
    uint64_t cfg = ECAM + (1ULL << 15);     /* slot 1 */
    bus_wr(d, cfg + PCI_BAR0 + 4, BAR1_AT, 4);
    bus_wr(d, cfg + PCI_BAR0 + 16, (uint32_t)BAR4_AT, 4);
    bus_wr(d, cfg + PCI_BAR0 + 20, BAR4_AT >> 32, 4);
    bus_wr(d, cfg + PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
    bool msix = d->transport == T_PCI_MSIX;
    if (msix) {
        bus_wr(d, BAR1_AT, 0x28000000, 4);          /* vector 0: address, data, unmasked */
        bus_wr(d, BAR1_AT + 8, 1, 4);
        bus_wr(d, BAR1_AT + 12, 0, 4);
        unsigned cap = (unsigned)bus_rd(d, cfg + PCI_CAPABILITY_LIST, 1);
        while (cap && bus_rd(d, cfg + cap, 1) != PCI_CAP_ID_MSIX)
            cap = (unsigned)bus_rd(d, cfg + cap + 1, 1);
        if (!cap)
            return -ENODEV;
        bus_wr(d, cfg + cap + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, 2);
    }
    uint64_t c = BAR4_AT + VIRTIO_PCI_COMMON;
    bus_wr(d, c + VIRTIO_PCI_COMMON_STATUS, 0, 1);
    bus_wr(d, c + VIRTIO_PCI_COMMON_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 1);
    for (unsigned sel = 0; sel < 2; sel++) {
        bus_wr(d, c + VIRTIO_PCI_COMMON_GFSELECT, sel, 4);
        bus_wr(d, c + VIRTIO_PCI_COMMON_GF, (uint32_t)(features >> (32 * sel)), 4);
    }
    uint8_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
    bus_wr(d, c + VIRTIO_PCI_COMMON_STATUS, st, 1);
    bus_wr(d, c + VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
    bus_wr(d, c + VIRTIO_PCI_COMMON_Q_SIZE, QSIZE, 2);
    bus_wr(d, c + VIRTIO_PCI_COMMON_Q_DESCLO, DESC_GPA, 8);
    bus_wr(d, c + VIRTIO_PCI_COMMON_Q_AVAILLO, AVAIL_GPA, 8);
    bus_wr(d, c + VIRTIO_PCI_COMMON_Q_USEDLO, USED_GPA, 8);
    if (msix)
        bus_wr(d, c + VIRTIO_PCI_COMMON_Q_MSIX, 0, 2);
    bus_wr(d, c + VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
    bus_wr(d, c + VIRTIO_PCI_COMMON_STATUS, st | VIRTIO_STATUS_DRIVER_OK, 1);
    uint8_t got = (uint8_t)bus_rd(d, c + VIRTIO_PCI_COMMON_STATUS, 1);
    return (got & VIRTIO_STATUS_DRIVER_OK) ? 0 : -EIO;
}

/* Puts the device on its transport and brings it up. */
static int attach(struct bench_drv *d, struct virtio_device *dev, uint64_t features)
{
    if (d->transport == T_MMIO) {
        struct irq_line irq = {.set = bench_irq_set, .opaque = d, .line = 1};
        if (!(d->t = virtio_mmio_new(dev, irq)))
            return -ENOMEM;
        struct mmio_region r = virtio_mmio_region(d->t, MMIO_AT);
        if (mmio_bus_add(&d->bus, &r) < 0)
            return -EINVAL;
        return bring_up_mmio(d, features);
    }
    struct pci_host_config pc = {.ecam_base = ECAM, .io_base = 0x03000000, .io_size = 0x10000,
                                 .mmio32_base = 0x40000000, .mmio32_size = 0x40000000,
                                 .mmio64_base = BAR4_AT, .mmio64_size = 0x400000000ULL,
                                 .msi = {.opaque = d, .send = bench_msi}};
    for (int i = 0; i < 4; i++)
        pc.intx[i] = (struct irq_line){.set = bench_irq_set, .opaque = d, .line = 32 + i};
    if (!(d->host = pci_host_new(&pc)) || pci_host_map(d->host, &d->bus) < 0 ||
        !(d->vp = virtio_pci_new(dev)) ||
        pci_host_plug(d->host, virtio_pci_function(d->vp), 1) < 0)
        return -ENOMEM;
    return bring_up_pci(d, features);
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

struct bench_result {
    double median_ns, min_ns;
    double notifies, interrupts;    /* per request */
};

/* One case, alive for the whole run: rounds of all cases are interleaved so that every case
 * sees the same host noise. */
struct bench_run {
    const struct bench_case *c;
    struct bench_drv d;
    struct virtio_device null_dev;
    struct virtio_rng *rng;
    struct virtio_device *dev;
    uint16_t heads[MAX_BATCH];
    uint64_t n0, i0, c0;
    double per_req[MAX_ROUNDS];
};

static int run_open(struct bench_run *run, const struct bench_case *c)
{
    struct bench_drv *d = &run->d;
    run->c = c;
    d->ram = aligned_alloc(4096, RAM_SIZE);
    if (!d->ram)
        return -ENOMEM;
    memset(d->ram, 0, RAM_SIZE);
    d->mem = (struct guest_mem){.base = RAM_BASE, .size = RAM_SIZE, .host = d->ram,
                                .on_write = bench_on_write, .opaque = d};
    d->event_idx = c->event_idx;
    if (c->rng) {
        struct entropy_source src = {.read = memset_entropy};
        run->rng = virtio_rng_new(&d->mem, src, NULL, NULL);
        run->dev = run->rng ? virtio_rng_device(run->rng) : NULL;
    } else {
        run->null_dev.name = "null";
        run->null_dev.device_id = 0x4b00;
        run->null_dev.ops = &null_ops;
        uint16_t max = QSIZE;
        if (virtio_device_init(&run->null_dev, &d->mem, 1, &max) == 0)
            run->dev = &run->null_dev;
    }
    d->transport = c->transport;
    if (!run->dev)
        return -ENOMEM;
    uint64_t features = 1ULL << VIRTIO_F_VERSION_1;
    if (c->event_idx)
        features |= 1ULL << VIRTIO_F_EVENT_IDX;
    if (c->shape == SHAPE_THREE_INDIRECT)
        features |= 1ULL << VIRTIO_F_INDIRECT_DESC;
    int ret = attach(d, run->dev, features);
    for (unsigned i = 0; i < c->batch; i++)
        run->heads[i] = build_chain(d, c->shape, i);
    for (unsigned long b = 0; b < WARMUP / c->batch && ret == 0; b++)
        ret = run_batch(d, run->heads, c->batch);
    run->n0 = d->notifies;
    run->i0 = d->interrupts;
    run->c0 = d->completed;
    return ret;
}

static int run_round(struct bench_run *run, unsigned long count, unsigned r)
{
    struct bench_drv *d = &run->d;
    unsigned batch = run->c->batch;
    unsigned long batches = (count + batch - 1) / batch;
    int ret = 0;
    uint64_t t0 = now_ns(), done0 = d->completed;
    for (unsigned long b = 0; b < batches && ret == 0; b++)
        ret = run_batch(d, run->heads, batch);
    run->per_req[r] = (double)(now_ns() - t0) / (double)(d->completed - done0);
    return ret;
}

static int run_result(struct bench_run *run, unsigned rounds, struct bench_result *res)
{
    struct virtq *vq = &run->dev->queues[0];
    for (unsigned e = 0; e < VIRTQ_ERR_COUNT; e++)
        if (vq->errors[e]) {
            fprintf(stderr, "virtqueue bench: the device refused a request (%s)\n",
                    virtq_error_name(e));
            return -EIO;
        }
    double *v = run->per_req;
    qsort(v, rounds, sizeof(v[0]), cmp_double);
    res->median_ns = rounds % 2 ? v[rounds / 2] : (v[rounds / 2 - 1] + v[rounds / 2]) / 2;
    res->min_ns = v[0];
    double total = (double)(run->d.completed - run->c0);
    res->notifies = (double)(run->d.notifies - run->n0) / total;
    res->interrupts = (double)(run->d.interrupts - run->i0) / total;
    return 0;
}

static void run_close(struct bench_run *run)
{
    virtio_mmio_free(run->d.t);
    virtio_pci_free(run->d.vp);
    pci_host_free(run->d.host);
    if (run->rng)
        virtio_rng_free(run->rng);
    else if (run->dev)
        virtio_device_cleanup(&run->null_dev);
    free(run->d.ram);
}

int main(int argc, char **argv)
{
    unsigned long count = 100000;
    unsigned rounds = 31;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--count") && i + 1 < argc) {
            count = strtoul(argv[++i], NULL, 0);
        } else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
            rounds = (unsigned)strtoul(argv[++i], NULL, 0);
        } else {
            fprintf(stderr, "usage: %s [--count N] [--rounds N]\n", argv[0]);
            return 2;
        }
    }
    if (!count || !rounds || rounds > MAX_ROUNDS) {
        fprintf(stderr, "virtqueue bench: count and rounds must be positive (rounds <= %d)\n",
                MAX_ROUNDS);
        return 2;
    }

    static const struct bench_case cases[] = {
        {SHAPE_ONE, false, 1, false, T_MMIO},
        {SHAPE_ONE, true, 1, false, T_MMIO},
        {SHAPE_ONE, false, 32, false, T_MMIO},
        {SHAPE_ONE, true, 32, false, T_MMIO},
        {SHAPE_THREE, false, 1, false, T_MMIO},
        {SHAPE_THREE, true, 1, false, T_MMIO},
        {SHAPE_THREE, false, 32, false, T_MMIO},
        {SHAPE_THREE, true, 32, false, T_MMIO},
        {SHAPE_THREE_INDIRECT, false, 1, false, T_MMIO},
        {SHAPE_THREE_INDIRECT, true, 1, false, T_MMIO},
        {SHAPE_THREE_INDIRECT, false, 32, false, T_MMIO},
        {SHAPE_THREE_INDIRECT, true, 32, false, T_MMIO},
        {SHAPE_ONE, false, 1, true, T_MMIO},
        {SHAPE_ONE, true, 32, true, T_MMIO},
        /* Notification and interrupt cost per transport, on the cheapest chain. */
        {SHAPE_ONE, false, 1, false, T_PCI_INTX},
        {SHAPE_ONE, false, 32, false, T_PCI_INTX},
        {SHAPE_ONE, false, 1, false, T_PCI_MSIX},
        {SHAPE_ONE, false, 32, false, T_PCI_MSIX},
    };
    printf("virtqueue bench: a simulated driver in this process -> kite's MMIO bus ->\n"
           "virtio-mmio registers, or the PCIe bridge and virtio-pci (INTx or MSI-X) -> VirtIO\n"
           "core -> split queue -> device (null: one status byte; rng: virtio-rng with a\n"
           "memset source). Queue size %d. %u rounds of %lu requests per case: ns/req of\n"
           "the fastest round, and the median round. No CPU emulation, no QEMU.\n\n",
           QSIZE, rounds, count);
    printf("%-6s %-8s %-34s %-9s %5s %8s %8s %8s %9s %8s\n", "device", "via", "chain",
           "features", "batch", "ns/req", "median", "Mreq/s", "kicks/req", "irqs/req");
    enum { NCASES = sizeof(cases) / sizeof(cases[0]) };
    static struct bench_run runs[NCASES];
    int ret = 0;
    for (size_t i = 0; i < NCASES && ret == 0; i++)
        ret = run_open(&runs[i], &cases[i]);
    for (unsigned r = 0; r < rounds && ret == 0; r++)
        for (size_t i = 0; i < NCASES && ret == 0; i++)
            ret = run_round(&runs[i], count, r);
    for (size_t i = 0; i < NCASES && ret == 0; i++) {
        const struct bench_case *c = &cases[i];
        struct bench_result r;
        ret = run_result(&runs[i], rounds, &r);
        if (ret == 0)
            printf("%-6s %-8s %-34s %-9s %5u %8.1f %8.1f %8.2f %9.3f %8.3f\n",
                   c->rng ? "rng" : "null", transport_names[c->transport], shape_names[c->shape],
                   c->event_idx ? "EVENT_IDX" : "-", c->batch, r.min_ns, r.median_ns,
                   1e3 / r.min_ns, r.notifies, r.interrupts);
    }
    for (size_t i = 0; i < NCASES; i++)
        run_close(&runs[i]);
    if (ret < 0) {
        fprintf(stderr, "virtqueue bench: failed (%s)\n", strerror(-ret));
        return 1;
    }
    return 0;
}

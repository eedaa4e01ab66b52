/*
 * A simulated VirtIO driver for unit tests: guest RAM is a malloc'd buffer wrapped in a
 * guest_mem, devices are reached through their virtio-mmio registers, and the driver side
 * of the rings is written by hand here (so tests can also write hostile rings).
 */
#ifndef KITE_TEST_VIRTIO_DRIVER_H
#define KITE_TEST_VIRTIO_DRIVER_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/guest_mem.h"
#include "virtio/mmio.h"

#define SIM_RAM_BASE 0x80000000ULL
#define SIM_RAM_SIZE (1ULL << 20)

struct sim_ram {
    uint8_t *host;
    struct guest_mem mem;
    unsigned dirty_calls;
    uint64_t dirty_bytes;
    uint64_t dirty_lo, dirty_hi;        /* span of everything reported */
};

static void sim_on_write(void *opaque, uint64_t gpa, uint64_t len)
{
    struct sim_ram *r = opaque;
    if (!r->dirty_calls || gpa < r->dirty_lo)
        r->dirty_lo = gpa;
    if (!r->dirty_calls || gpa + len > r->dirty_hi)
        r->dirty_hi = gpa + len;
    r->dirty_calls++;
    r->dirty_bytes += len;
}

static inline void sim_ram_init(struct sim_ram *r)
{
    memset(r, 0, sizeof(*r));
    r->host = aligned_alloc(4096, SIM_RAM_SIZE);
    memset(r->host, 0, SIM_RAM_SIZE);
    r->mem = (struct guest_mem){.base = SIM_RAM_BASE, .size = SIM_RAM_SIZE, .host = r->host,
                                .on_write = sim_on_write, .opaque = r};
}

static inline void sim_ram_free(struct sim_ram *r)
{
    free(r->host);
}

static inline void *sim_host(struct sim_ram *r, uint64_t gpa)
{
    return r->host + (gpa - SIM_RAM_BASE);
}

struct sim_queue {
    uint16_t size;
    uint64_t desc, avail, used;
    uint16_t avail_idx, used_seen;
};

struct sim_drv {
    struct sim_ram *ram;
    struct virtio_device *dev;
    struct virtio_mmio *t;
    int irq_level;
    unsigned irq_raises;
    struct sim_queue q[8];
};

static void sim_irq_set(void *opaque, int line, int level)
{
    struct sim_drv *d = opaque;
    if (level && !d->irq_level)
        d->irq_raises++;
    d->irq_level = level;
}

static inline void sim_attach(struct sim_drv *d, struct sim_ram *ram, struct virtio_device *dev)
{
    memset(d, 0, sizeof(*d));
    d->ram = ram;
    d->dev = dev;
    struct irq_line irq = {.set = sim_irq_set, .opaque = d, .line = 1};
    d->t = virtio_mmio_new(dev, irq);
}

static inline uint32_t sim_rd(struct sim_drv *d, uint64_t off)
{
    return (uint32_t)virtio_mmio_read(d->t, off, 4);
}

static inline void sim_wr(struct sim_drv *d, uint64_t off, uint32_t v)
{
    virtio_mmio_write(d->t, off, v, 4);
}

/* Reset, ACKNOWLEDGE, DRIVER, accept `features`, FEATURES_OK: true if FEATURES_OK stuck. */
static inline bool sim_negotiate(struct sim_drv *d, uint64_t features)
{
    sim_wr(d, VIRTIO_MMIO_STATUS, 0);
    sim_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    sim_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    for (unsigned sel = 0; sel < 2; sel++) {
        sim_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, sel);
        sim_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> (32 * sel)));
    }
    sim_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                      VIRTIO_STATUS_FEATURES_OK);
    return sim_rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK;
}

static inline uint64_t sim_offered(struct sim_drv *d)
{
    sim_wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    uint64_t f = (uint64_t)sim_rd(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
    sim_wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    return f | sim_rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
}

/* Programs queue q with the three areas packed from `base`; returns QueueReady read back. */
static inline uint32_t sim_queue_setup_at(struct sim_drv *d, unsigned q, uint32_t size,
                                          uint64_t desc, uint64_t avail, uint64_t used)
{
    sim_wr(d, VIRTIO_MMIO_QUEUE_SEL, q);
    sim_wr(d, VIRTIO_MMIO_QUEUE_NUM, size);
    sim_wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
    sim_wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
    sim_wr(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
    sim_wr(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
    sim_wr(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
    sim_wr(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
    sim_wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
    uint32_t ready = sim_rd(d, VIRTIO_MMIO_QUEUE_READY);
    if (ready && q < sizeof(d->q) / sizeof(d->q[0]))
        d->q[q] = (struct sim_queue){.size = (uint16_t)size, .desc = desc, .avail = avail,
                                     .used = used};
    return ready;
}

static inline uint32_t sim_queue_setup(struct sim_drv *d, unsigned q, uint32_t size,
                                       uint64_t base)
{
    uint64_t avail = base + 16ULL * size;
    uint64_t used = (avail + 6 + 2ULL * size + 3) & ~3ULL;
    return sim_queue_setup_at(d, q, size, base, avail, used);
}

static inline bool sim_driver_ok(struct sim_drv *d)
{
    uint32_t s = sim_rd(d, VIRTIO_MMIO_STATUS);
    sim_wr(d, VIRTIO_MMIO_STATUS, s | VIRTIO_STATUS_DRIVER_OK);
    return sim_rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DRIVER_OK;
}

static inline void sim_set_desc_raw(struct sim_ram *ram, uint64_t table, unsigned idx,
                                    uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    uint8_t *p = sim_host(ram, table + 16ULL * idx);
    memcpy(p, &addr, 8);
    memcpy(p + 8, &len, 4);
    memcpy(p + 12, &flags, 2);
    memcpy(p + 14, &next, 2);
}

static inline void sim_set_desc(struct sim_drv *d, unsigned q, unsigned idx, uint64_t addr,
                                uint32_t len, uint16_t flags, uint16_t next)
{
    sim_set_desc_raw(d->ram, d->q[q].desc, idx, addr, len, flags, next);
}

/* Puts `head` in the avail ring and publishes it (avail.idx += 1). */
static inline void sim_post(struct sim_drv *d, unsigned q, uint16_t head)
{
    struct sim_queue *sq = &d->q[q];
    uint8_t *a = sim_host(d->ram, sq->avail);
    memcpy(a + 4 + 2 * (sq->avail_idx % sq->size), &head, 2);
    sq->avail_idx++;
    memcpy(a + 2, &sq->avail_idx, 2);
}

static inline void sim_set_avail_idx(struct sim_drv *d, unsigned q, uint16_t idx)
{
    d->q[q].avail_idx = idx;
    memcpy((uint8_t *)sim_host(d->ram, d->q[q].avail) + 2, &idx, 2);
}

static inline void sim_set_avail_flags(struct sim_drv *d, unsigned q, uint16_t flags)
{
    memcpy(sim_host(d->ram, d->q[q].avail), &flags, 2);
}

static inline void sim_set_used_event(struct sim_drv *d, unsigned q, uint16_t v)
{
    memcpy((uint8_t *)sim_host(d->ram, d->q[q].avail) + 4 + 2 * d->q[q].size, &v, 2);
}

static inline uint16_t sim_avail_event(struct sim_drv *d, unsigned q)
{
    uint16_t v;
    memcpy(&v, (uint8_t *)sim_host(d->ram, d->q[q].used) + 4 + 8 * d->q[q].size, 2);
    return v;
}

static inline uint16_t sim_used_flags(struct sim_drv *d, unsigned q)
{
    uint16_t v;
    memcpy(&v, sim_host(d->ram, d->q[q].used), 2);
    return v;
}

static inline void sim_notify(struct sim_drv *d, unsigned q)
{
    sim_wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

static inline uint16_t sim_used_idx(struct sim_drv *d, unsigned q)
{
    uint16_t v;
    memcpy(&v, (uint8_t *)sim_host(d->ram, d->q[q].used) + 2, 2);
    return v;
}

/* Takes the next used element; false if there is none. */
static inline bool sim_reap(struct sim_drv *d, unsigned q, uint32_t *id, uint32_t *len)
{
    struct sim_queue *sq = &d->q[q];
    if (sim_used_idx(d, q) == sq->used_seen)
        return false;
    uint8_t *e = (uint8_t *)sim_host(d->ram, sq->used) + 4 + 8 * (sq->used_seen % sq->size);
    memcpy(id, e, 4);
    memcpy(len, e + 4, 4);
    sq->used_seen++;
    return true;
}

/* Reads and acknowledges InterruptStatus; returns what was pending. */
static inline uint32_t sim_ack(struct sim_drv *d)
{
    uint32_t isr = sim_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS);
    sim_wr(d, VIRTIO_MMIO_INTERRUPT_ACK, isr);
    return isr;
}

/* stderr capture, to assert on kite's log lines. */
struct sim_capture {
    int saved;
    FILE *f;
};

static inline void sim_capture_start(struct sim_capture *c)
{
    fflush(stderr);
    c->f = tmpfile();
    c->saved = dup(2);
    dup2(fileno(c->f), 2);
}

/* Stops capturing; returns a malloc'd string with what was logged (caller frees). */
static inline char *sim_capture_end(struct sim_capture *c)
{
    fflush(stderr);
    dup2(c->saved, 2);
    close(c->saved);
    /* fd 2 shared the file's offset: that is where the log ends. */
    long n = (long)lseek(fileno(c->f), 0, SEEK_END);
    if (n < 0)
        n = 0;
    char *s = calloc(1, (size_t)n + 1);
    rewind(c->f);
    if (fread(s, 1, (size_t)n, c->f) != (size_t)n)
        s[0] = 0;
    fclose(c->f);
    return s;
}

#endif

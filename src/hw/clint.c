#include "hw/clint.h"

#include <stdbool.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/log.h"

#define MSIP_BASE      0x0000u
#define MTIMECMP_BASE  0x4000u
#define MTIME_OFFSET   0xbff8u

struct clint {
    struct log_limit log;        /* log-once state of this instance */
    int nharts;
    struct hart_if *harts;
    bool *msip;
};

/* Reads `size` bytes at byte `sub` (0 or 4) of a 64-bit register. */
static uint64_t read_part(uint64_t reg, unsigned sub, unsigned size)
{
    if (size == 8)
        return reg;
    return (uint32_t)(reg >> (8 * sub));
}

static uint64_t merge_part(uint64_t reg, unsigned sub, unsigned size, uint64_t value)
{
    if (size == 8)
        return value;
    uint64_t mask = 0xffffffffULL << (8 * sub);
    return (reg & ~mask) | (((uint64_t)(uint32_t)value << (8 * sub)) & mask);
}

/*
 * Accepts 4-byte accesses at 4-byte alignment and 8-byte accesses at 8-byte alignment of
 * a 64-bit register starting at `reg_base`; sets *sub to the byte offset inside it.
 */
static bool valid_64bit_access(uint64_t offset, uint64_t reg_base, unsigned size,
                               unsigned *sub)
{
    uint64_t rel = offset - reg_base;
    if (size == 8 && rel == 0) {
        *sub = 0;
        return true;
    }
    if (size == 4 && (rel == 0 || rel == 4)) {
        *sub = (unsigned)rel;
        return true;
    }
    return false;
}

static uint64_t clint_read(void *opaque, uint64_t offset, unsigned size)
{
    struct clint *c = opaque;
    unsigned sub;

    if (offset < MTIMECMP_BASE) {
        uint64_t h = offset / 4;
        if (size != 4 || (offset & 3)) {
            log_once_in(&c->log, LOG_WARN, "clint", "ignoring %u-byte msip read at %#llx", size,
                        (unsigned long long)offset);
            return 0;
        }
        return h < (uint64_t)c->nharts ? c->msip[h] : 0;
    }
    if (offset >= MTIME_OFFSET + 8) {
        log_once_in(&c->log, LOG_DEBUG, "clint",
                    "read of unknown offset %#llx", (unsigned long long)offset);
        return 0;
    }
    if (offset >= MTIME_OFFSET) {
        if (!valid_64bit_access(offset, MTIME_OFFSET, size, &sub)) {
            log_once_in(&c->log, LOG_WARN, "clint", "ignoring %u-byte mtime read at %#llx", size,
                        (unsigned long long)offset);
            return 0;
        }
        return read_part(clock_mtime(), sub, size);
    }
    uint64_t h = (offset - MTIMECMP_BASE) / 8;
    if (h >= (uint64_t)c->nharts)
        return 0;
    if (!valid_64bit_access(offset, MTIMECMP_BASE + 8 * h, size, &sub)) {
        log_once_in(&c->log, LOG_WARN, "clint", "ignoring %u-byte mtimecmp read at %#llx", size,
                    (unsigned long long)offset);
        return 0;
    }
    return read_part(c->harts[h].get_timecmp(c->harts[h].opaque), sub, size);
}

static void clint_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct clint *c = opaque;
    unsigned sub;

    if (offset < MTIMECMP_BASE) {
        uint64_t h = offset / 4;
        if (size != 4 || (offset & 3)) {
            log_once_in(&c->log, LOG_WARN, "clint", "ignoring %u-byte msip write at %#llx", size,
                        (unsigned long long)offset);
            return;
        }
        if (h >= (uint64_t)c->nharts) {
            log_once_in(&c->log, LOG_WARN, "clint", "msip write for nonexistent hart %llu",
                        (unsigned long long)h);
            return;
        }
        c->msip[h] = value & 1;
        hart_set_pending(&c->harts[h], MIP_MSIP, c->msip[h]);
        return;
    }
    if (offset >= MTIME_OFFSET + 8) {
        log_once_in(&c->log, LOG_DEBUG, "clint",
                    "write of unknown offset %#llx", (unsigned long long)offset);
        return;
    }
    if (offset >= MTIME_OFFSET) {
        /* mtime is the host clock; letting the guest move it would desync every hart. */
        log_once_in(&c->log, LOG_WARN, "clint", "ignoring write to mtime");
        return;
    }
    uint64_t h = (offset - MTIMECMP_BASE) / 8;
    if (h >= (uint64_t)c->nharts) {
        log_once_in(&c->log, LOG_WARN, "clint", "mtimecmp write for nonexistent hart %llu",
                    (unsigned long long)h);
        return;
    }
    if (!valid_64bit_access(offset, MTIMECMP_BASE + 8 * h, size, &sub)) {
        log_once_in(&c->log, LOG_WARN, "clint", "ignoring %u-byte mtimecmp write at %#llx", size,
                    (unsigned long long)offset);
        return;
    }
    const struct hart_if *hart = &c->harts[h];
    hart->set_timecmp(hart->opaque,
                      merge_part(hart->get_timecmp(hart->opaque), sub, size, value));
}

struct clint *clint_new(const struct hart_if *harts, int nharts)
{
    if (!harts || nharts < 1 || nharts > CLINT_MAX_HARTS) {
        log_error("clint", "unsupported hart list (%d harts)", nharts);
        return NULL;
    }
    for (int i = 0; i < nharts; i++) {
        if (!harts[i].set_pending || !harts[i].get_timecmp || !harts[i].set_timecmp) {
            log_error("clint", "hart %d missing", i);
            return NULL;
        }
    }
    struct clint *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->nharts = nharts;
    c->harts = calloc((size_t)nharts, sizeof(*c->harts));
    c->msip = calloc((size_t)nharts, sizeof(*c->msip));
    if (!c->harts || !c->msip) {
        clint_free(c);
        return NULL;
    }
    for (int i = 0; i < nharts; i++)
        c->harts[i] = harts[i];
    return c;
}

void clint_free(struct clint *c)
{
    if (!c)
        return;
    free(c->harts);
    free(c->msip);
    free(c);
}

struct mmio_region clint_region(struct clint *c, uint64_t base)
{
    return (struct mmio_region){
        .name = "clint",
        .base = base,
        .size = CLINT_REGION_SIZE,
        .opaque = c,
        .read = clint_read,
        .write = clint_write,
    };
}

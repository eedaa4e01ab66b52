/*
 * SiFive PLIC (RISC-V PLIC specification 1.0.0, QEMU virt layout).
 *
 * Gateways are level-triggered: while a source is not in service its pending bit follows
 * the line, so a device that lowers its line before the driver gets to it leaves no
 * spurious claim behind. A claim moves the source in service (pending cleared, further
 * requests held back); completion releases it and a line that is still high becomes
 * pending again.
 */
#include "hw/plic.h"

#include <stdbool.h>
#include <stdlib.h>

#include "core/log.h"
#include "riscv/virt_map.h"

#define NSOURCES   (VIRT_PLIC_SOURCES + 1)     /* ids 0..95; 0 means "no interrupt" */
#define NWORDS     ((NSOURCES + 31) / 32)
#define PRIO_MASK  7u                          /* 3 priority bits, as on QEMU virt */

#define PRIORITY_BASE   0x000000u
#define PENDING_BASE    0x001000u
#define ENABLE_BASE     0x002000u
#define ENABLE_STRIDE   0x80u
#define CONTEXT_BASE    0x200000u
#define CONTEXT_STRIDE  0x1000u

struct plic_context {
    uint32_t enable[NWORDS];
    uint32_t threshold;
};

struct plic {
    struct log_limit log;        /* log-once state of this instance */
    int nharts;
    int nctx;
    struct hart_if *harts;
    struct plic_context *ctx;
    uint32_t priority[NSOURCES];
    uint32_t pending[NWORDS];
    uint32_t in_service[NWORDS];
    uint32_t level[NWORDS];
};

static bool bit_get(const uint32_t *map, unsigned id)
{
    return (map[id / 32] >> (id % 32)) & 1;
}

static void bit_set(uint32_t *map, unsigned id, bool on)
{
    if (on)
        map[id / 32] |= 1u << (id % 32);
    else
        map[id / 32] &= ~(1u << (id % 32));
}

/* Best claimable source for a context: highest priority above threshold, lowest id on ties. */
static unsigned best_source(const struct plic *p, const struct plic_context *c)
{
    unsigned best = 0;
    uint32_t best_prio = c->threshold;
    for (unsigned w = 0; w < NWORDS; w++) {
        uint32_t ready = p->pending[w] & c->enable[w];
        while (ready) {
            unsigned id = w * 32 + (unsigned)__builtin_ctz(ready);
            ready &= ready - 1;
            if (p->priority[id] > best_prio) {
                best_prio = p->priority[id];
                best = id;
            }
        }
    }
    return best;
}

/*
 * Drives every context's output. Always writes the hart's bit rather than only on change:
 * a hart reset may clear mip behind our back, and the next update must restore it.
 */
static void update_outputs(struct plic *p)
{
    for (int i = 0; i < p->nctx; i++) {
        bool level = best_source(p, &p->ctx[i]) != 0;
        uint64_t bit = (i & 1) ? MIP_SEIP : MIP_MEIP;
        hart_set_pending(&p->harts[i / 2], bit, level);
    }
}

void plic_set_irq(void *opaque, int source, int level)
{
    struct plic *p = opaque;
    if (source < 1 || source >= NSOURCES) {
        log_once_in(&p->log, LOG_ERROR, "plic", "interrupt from nonexistent source %d", source);
        return;
    }
    unsigned id = (unsigned)source;
    bool high = level != 0;
    if (bit_get(p->level, id) == high)
        return;
    bit_set(p->level, id, high);
    if (!bit_get(p->in_service, id))
        bit_set(p->pending, id, high);
    update_outputs(p);
}

static uint32_t claim(struct plic *p, struct plic_context *c)
{
    unsigned id = best_source(p, c);
    if (id) {
        bit_set(p->pending, id, false);
        bit_set(p->in_service, id, true);
        update_outputs(p);
    }
    return id;
}

static void complete(struct plic *p, struct plic_context *c, uint32_t id)
{
    if (id == 0 || id >= NSOURCES) {
        log_once_in(&p->log, LOG_WARN, "plic", "completion of invalid source %u", id);
        return;
    }
    /* The spec ignores completions for sources not enabled on the completing context. */
    if (!bit_get(c->enable, id) || !bit_get(p->in_service, id))
        return;
    bit_set(p->in_service, id, false);
    if (bit_get(p->level, id))
        bit_set(p->pending, id, true);
    update_outputs(p);
}

static uint64_t plic_read(void *opaque, uint64_t offset, unsigned size)
{
    struct plic *p = opaque;

    if (size != 4 || (offset & 3)) {
        log_once_in(&p->log, LOG_WARN, "plic", "ignoring %u-byte read at %#llx", size,
                    (unsigned long long)offset);
        return 0;
    }
    if (offset < PENDING_BASE) {
        uint64_t id = offset / 4;
        return id < NSOURCES ? p->priority[id] : 0;
    }
    if (offset < ENABLE_BASE) {
        uint64_t w = (offset - PENDING_BASE) / 4;
        return w < NWORDS ? p->pending[w] : 0;
    }
    if (offset < CONTEXT_BASE) {
        uint64_t ctx = (offset - ENABLE_BASE) / ENABLE_STRIDE;
        uint64_t w = (offset - ENABLE_BASE) % ENABLE_STRIDE / 4;
        if (ctx >= (uint64_t)p->nctx || w >= NWORDS)
            return 0;
        return p->ctx[ctx].enable[w];
    }
    uint64_t ctx = (offset - CONTEXT_BASE) / CONTEXT_STRIDE;
    uint64_t reg = (offset - CONTEXT_BASE) % CONTEXT_STRIDE;
    if (ctx >= (uint64_t)p->nctx)
        return 0;
    if (reg == 0)
        return p->ctx[ctx].threshold;
    if (reg == 4)
        return claim(p, &p->ctx[ctx]);
    return 0;
}

static void plic_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct plic *p = opaque;
    uint32_t v = (uint32_t)value;

    if (size != 4 || (offset & 3)) {
        log_once_in(&p->log, LOG_WARN, "plic", "ignoring %u-byte write at %#llx", size,
                    (unsigned long long)offset);
        return;
    }
    if (offset < PENDING_BASE) {
        uint64_t id = offset / 4;
        if (id == 0 || id >= NSOURCES) {
            log_once_in(&p->log, LOG_WARN, "plic", "priority write for nonexistent source %llu",
                        (unsigned long long)id);
            return;
        }
        p->priority[id] = v & PRIO_MASK;
        update_outputs(p);
        return;
    }
    if (offset < ENABLE_BASE) {
        log_once_in(&p->log, LOG_WARN, "plic", "ignoring write to read-only pending bits");
        return;
    }
    if (offset < CONTEXT_BASE) {
        uint64_t ctx = (offset - ENABLE_BASE) / ENABLE_STRIDE;
        uint64_t w = (offset - ENABLE_BASE) % ENABLE_STRIDE / 4;
        if (ctx >= (uint64_t)p->nctx) {
            log_once_in(&p->log, LOG_WARN, "plic", "enable write for nonexistent context %llu",
                        (unsigned long long)ctx);
            return;
        }
        if (w >= NWORDS) {
            if (v)
                log_once_in(&p->log, LOG_WARN, "plic",
                            "enable bits for nonexistent sources ignored");
            return;
        }
        uint32_t valid = ~0u;
        if (w == 0)
            valid &= ~1u;                       /* source 0 does not exist */
        if (w == NWORDS - 1 && NSOURCES % 32)
            valid &= (1u << (NSOURCES % 32)) - 1;
        if (v & ~valid)
            log_once_in(&p->log, LOG_WARN, "plic", "enable bits for nonexistent sources ignored");
        p->ctx[ctx].enable[w] = v & valid;
        update_outputs(p);
        return;
    }
    uint64_t ctx = (offset - CONTEXT_BASE) / CONTEXT_STRIDE;
    uint64_t reg = (offset - CONTEXT_BASE) % CONTEXT_STRIDE;
    if (ctx >= (uint64_t)p->nctx) {
        log_once_in(&p->log, LOG_WARN, "plic",
                    "write to nonexistent context %llu", (unsigned long long)ctx);
        return;
    }
    if (reg == 0) {
        p->ctx[ctx].threshold = v & PRIO_MASK;
        update_outputs(p);
    } else if (reg == 4) {
        complete(p, &p->ctx[ctx], v);
    } else {
        log_once_in(&p->log, LOG_DEBUG, "plic", "write to reserved context offset %#llx",
                    (unsigned long long)reg);
    }
}

struct plic *plic_new(const struct hart_if *harts, int nharts)
{
    if (!harts || nharts < 1 || nharts > PLIC_MAX_HARTS) {
        log_error("plic", "unsupported hart list (%d harts)", nharts);
        return NULL;
    }
    for (int i = 0; i < nharts; i++) {
        if (!harts[i].set_pending) {
            log_error("plic", "hart %d missing", i);
            return NULL;
        }
    }
    struct plic *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->nharts = nharts;
    p->nctx = 2 * nharts;
    p->harts = calloc((size_t)nharts, sizeof(*p->harts));
    p->ctx = calloc((size_t)p->nctx, sizeof(*p->ctx));
    if (!p->harts || !p->ctx) {
        plic_free(p);
        return NULL;
    }
    for (int i = 0; i < nharts; i++)
        p->harts[i] = harts[i];
    return p;
}

void plic_free(struct plic *p)
{
    if (!p)
        return;
    free(p->harts);
    free(p->ctx);
    free(p);
}

struct mmio_region plic_region(struct plic *p, uint64_t base)
{
    return (struct mmio_region){
        .name = "plic",
        .base = base,
        .size = PLIC_REGION_SIZE,
        .opaque = p,
        .read = plic_read,
        .write = plic_write,
    };
}

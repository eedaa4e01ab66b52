/*
 * The decode cache: which physical RAM pages hold code, and decoded instruction records
 * for some of them, both bounded in size.
 *
 * Pages are keyed by physical address, so address-space switches and sfence.vma never
 * touch it. What keeps it coherent with guest memory:
 *   - the hart's own stores: a code page never gets a write tag in the TLB, so every store
 *     to it takes the slow path, which drops the page first;
 *   - anything else writing RAM (device DMA) calls rv_cpu_invalidate_code();
 *   - fence.i and reset forget everything.
 * The JIT's blocks hang off the code pages: forgetting a page (which bumps its `gen`)
 * retires every block translated from it.
 * Memory is bounded twice: at most slot_cap code pages are tracked, and at most rec_cap of
 * them have records (32 KiB each). Beyond either, something is reused, whatever the guest
 * does: slots in round-robin order, record pages in round-robin order with a second chance
 * (a page the hart entered since the hand last passed it is skipped once, so the kernel's
 * hot paths keep their records while cold code streams through: half the re-decoding of a
 * boot at the same cap). Losing records only costs decoding them again; losing a slot
 * forgets the page (its JIT blocks too).
 */
#include "riscv/cpu_internal.h"

#include <stdlib.h>

#define DPAGE_FREE UINT32_MAX

int rv_dcache_init(struct rv_cpu *cpu)
{
    struct rv_dcache *dc = &cpu->dc;
    dc->ram_pages = (cpu->phys.ram_size + RV_PAGE_SIZE - 1) >> RV_PAGE_SHIFT;
    dc->map = calloc(dc->ram_pages ? dc->ram_pages : 1, sizeof(*dc->map));
    /* calloc'd: the host backs only the parts a guest's code reaches. */
    dc->pages = calloc(RV_DCACHE_SLOTS, sizeof(*dc->pages));
    dc->free_slots = calloc(RV_DCACHE_SLOTS, sizeof(*dc->free_slots));
    dc->recs = calloc(RV_DCACHE_REC_PAGES, sizeof(*dc->recs));
    dc->rec_owner = calloc(RV_DCACHE_REC_PAGES, sizeof(*dc->rec_owner));
    dc->rec_used = calloc(RV_DCACHE_REC_PAGES, sizeof(*dc->rec_used));
    dc->free_recs = calloc(RV_DCACHE_REC_PAGES, sizeof(*dc->free_recs));
    dc->slot_cap = RV_DCACHE_SLOTS;
    if (!dc->map || !dc->pages || !dc->free_slots || !dc->recs || !dc->rec_owner ||
        !dc->rec_used || !dc->free_recs) {
        rv_dcache_destroy(cpu);
        return -1;
    }
    return 0;
}

void rv_dcache_destroy(struct rv_cpu *cpu)
{
    struct rv_dcache *dc = &cpu->dc;
    for (uint32_t i = 0; i < dc->rec_allocated; i++)
        free(dc->recs[i]);
    free(dc->map);
    free(dc->pages);
    free(dc->free_slots);
    free(dc->recs);
    free(dc->rec_owner);
    free(dc->rec_used);
    free(dc->free_recs);
    dc->map = NULL;
    dc->pages = NULL;
    dc->free_slots = dc->rec_owner = dc->free_recs = NULL;
    dc->rec_used = NULL;
    dc->recs = NULL;
    dc->allocated = dc->rec_allocated = 0;
}

/*
 * Gives the slot's record page back. Its memory is kept, never freed: the interpreter may
 * still be finishing an instruction whose record lives there.
 */
static void release_recs(struct rv_dcache *dc, struct rv_dpage *p)
{
    if (!p->rec)
        return;
    dc->rec_owner[p->rec - 1] = DPAGE_FREE;
    dc->free_recs[dc->rec_free_top++] = p->rec - 1;
    p->rec = 0;
}

/* Takes slot `idx` out of service; it goes on the free stack. */
static void release(struct rv_dcache *dc, uint32_t idx)
{
    struct rv_dpage *p = &dc->pages[idx];
    if (p->ram_page == DPAGE_FREE)
        return;
    release_recs(dc, p);
    dc->map[p->ram_page] = 0;
    p->ram_page = DPAGE_FREE;
    p->gen++; /* translated blocks of this page are stale from now on */
    dc->free_slots[dc->free_top++] = idx;
}

void rv_dcache_flush(struct rv_cpu *cpu)
{
    struct rv_dcache *dc = &cpu->dc;
    for (uint32_t i = 0; i < dc->allocated; i++)
        release(dc, i);
    dc->stat_flushes++;
    rv_code_changed(cpu);
}

void rv_dcache_drop(struct rv_cpu *cpu, uint64_t ram_page)
{
    struct rv_dcache *dc = &cpu->dc;
    if (ram_page >= dc->ram_pages || !dc->map[ram_page])
        return;
    release(dc, dc->map[ram_page] - 1);
    dc->stat_invalidations++;
    /* The interpreter may hold this page as its current one: make it look again. */
    rv_code_changed(cpu);
}

uint32_t rv_dcache_track(struct rv_cpu *cpu, uint64_t ram_page)
{
    struct rv_dcache *dc = &cpu->dc;
    uint32_t m = dc->map[ram_page];
    if (rv_likely(m))
        return m - 1;

    uint32_t idx;
    if (dc->free_top) {
        idx = dc->free_slots[--dc->free_top];
    } else if (dc->allocated < dc->slot_cap) {
        idx = dc->allocated++;
    } else {
        idx = dc->hand++ % dc->allocated;
        release(dc, idx);
        dc->free_top--; /* release() pushed idx; we take it straight back */
        dc->stat_evictions++;
        rv_code_changed(cpu);
    }
    struct rv_dpage *p = &dc->pages[idx];
    p->ram_page = (uint32_t)ram_page;
    p->rec = 0;
    dc->map[ram_page] = idx + 1;
    dc->stat_decoded_pages++;
    /* Stores to it must take the slow path, which drops it. */
    rv_tlb_revoke_write(cpu, ram_page);
    return idx;
}

/* A record page for slot `idx`: a free one, a new one, or the oldest one taken away. */
static uint32_t take_recs(struct rv_cpu *cpu, uint32_t idx)
{
    struct rv_dcache *dc = &cpu->dc;
    uint32_t cap = dc->rec_cap ? dc->rec_cap
                               : cpu->jit ? RV_DCACHE_REC_PAGES_JIT : RV_DCACHE_REC_PAGES;
    if (cap > RV_DCACHE_REC_PAGES)
        cap = RV_DCACHE_REC_PAGES;
    uint32_t r;
    if (dc->rec_free_top) {
        r = dc->free_recs[--dc->rec_free_top];
    } else if (dc->rec_allocated < cap &&
               (dc->recs[dc->rec_allocated] =
                    malloc((RV_DPAGE_SLOTS + 2) * sizeof(struct rv_drec))) != NULL) {
        r = dc->rec_allocated++;
        dc->stat_rec_pages++;
    } else {
        /* Full (or out of host memory): the page keeps being code, without records. */
        if (!dc->rec_allocated)
            abort(); /* cannot happen: malloc of the first page failed and nothing to reuse */
        /* Second chance: a page the hart came back to since the hand last passed stays. */
        for (;;) {
            r = dc->rec_hand++ % dc->rec_allocated;
            if (!dc->rec_used[r])
                break;
            dc->rec_used[r] = 0;
        }
        if (dc->rec_owner[r] != DPAGE_FREE)
            dc->pages[dc->rec_owner[r]].rec = 0;
        dc->stat_rec_evictions++;
        /* It may have been the current one. */
        cpu->fetch_vpage = RV_TLB_NONE;
    }
    dc->rec_owner[r] = idx;
    dc->rec_used[r] = 1;
    dc->pages[idx].rec = r + 1;
    return r;
}

struct rv_drec *rv_dcache_page(struct rv_cpu *cpu, uint64_t ram_page)
{
    struct rv_dcache *dc = &cpu->dc;
    uint32_t m = dc->map[ram_page];
    if (rv_likely(m && dc->pages[m - 1].rec)) {
        uint32_t r = dc->pages[m - 1].rec - 1;
        dc->rec_used[r] = 1;
        return dc->recs[r];
    }

    uint32_t idx = rv_dcache_track(cpu, ram_page);
    struct rv_drec *rec = dc->recs[take_recs(cpu, idx)];
    const void *decode = cpu->ops[RV_OP_DECODE * 2];
    const void *lookup = cpu->ops[RV_OP_LOOKUP * 2];
    for (unsigned i = 0; i < RV_DPAGE_SLOTS; i++)
        rec[i].h = decode;
    rec[RV_DPAGE_SLOTS].h = lookup;
    rec[RV_DPAGE_SLOTS + 1].h = lookup;
    /* An evicted page may have been the current one. */
    cpu->fetch_vpage = RV_TLB_NONE;
    return rec;
}

void rv_cpu_invalidate_code(struct rv_cpu *cpu, uint64_t paddr, uint64_t len)
{
    uint64_t base = cpu->phys.ram_base, size = cpu->phys.ram_size;
    if (!len)
        return;
    uint64_t end = paddr + len; /* exclusive; saturate instead of wrapping */
    if (end < paddr)
        end = UINT64_MAX;
    if (end <= base || (paddr >= base && paddr - base >= size))
        return;
    uint64_t lo = paddr < base ? 0 : paddr - base;
    uint64_t hi = end - base > size ? size : end - base;
    for (uint64_t pg = lo >> RV_PAGE_SHIFT; pg <= (hi - 1) >> RV_PAGE_SHIFT; pg++)
        rv_dcache_drop(cpu, pg);
}

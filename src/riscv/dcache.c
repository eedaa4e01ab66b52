/*
 * The decode cache: decoded instruction records per physical RAM page, bounded in size.
 *
 * Pages are keyed by physical address, so address-space switches and sfence.vma never
 * touch it. What keeps it coherent with guest memory:
 *   - the hart's own stores: a page with decoded code never gets a write tag in the TLB, so
 *     every store to it takes the slow path, which drops the decoded page first;
 *   - anything else writing RAM (device DMA) calls rv_cpu_invalidate_code();
 *   - fence.i and reset forget everything.
 * The JIT's blocks hang off these pages: forgetting a page (which bumps its `gen`) retires
 * every block translated from it.
 * Memory is bounded: at most RV_DCACHE_PAGES pages exist; beyond that the oldest slot in
 * round-robin order is reused, whatever the guest does.
 */
#include "riscv/cpu_internal.h"

#include <stdlib.h>

#define DPAGE_FREE UINT32_MAX

int rv_dcache_init(struct rv_cpu *cpu)
{
    struct rv_dcache *dc = &cpu->dc;
    dc->ram_pages = (cpu->phys.ram_size + RV_PAGE_SIZE - 1) >> RV_PAGE_SHIFT;
    dc->map = calloc(dc->ram_pages ? dc->ram_pages : 1, sizeof(*dc->map));
    return dc->map ? 0 : -1;
}

void rv_dcache_destroy(struct rv_cpu *cpu)
{
    struct rv_dcache *dc = &cpu->dc;
    for (uint32_t i = 0; i < dc->allocated; i++)
        free(dc->pages[i]);
    free(dc->map);
    dc->map = NULL;
    dc->allocated = 0;
}

/* Takes page `idx` out of service; it keeps its memory and goes on the free stack. */
static void release(struct rv_dcache *dc, uint32_t idx)
{
    struct rv_dpage *p = dc->pages[idx];
    if (p->ram_page == DPAGE_FREE)
        return;
    dc->map[p->ram_page] = 0;
    p->ram_page = DPAGE_FREE;
    p->gen++; /* translated blocks of this page are stale from now on */
    dc->free_stack[dc->free_top++] = idx;
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

struct rv_drec *rv_dcache_page(struct rv_cpu *cpu, uint64_t ram_page)
{
    struct rv_dcache *dc = &cpu->dc;
    uint32_t m = dc->map[ram_page];
    if (rv_likely(m))
        return dc->pages[m - 1]->rec;

    uint32_t idx;
    struct rv_dpage *p = NULL;
    if (dc->free_top) {
        idx = dc->free_stack[--dc->free_top];
    } else if (dc->allocated < RV_DCACHE_PAGES &&
               (p = malloc(sizeof(*p))) != NULL) {
        idx = dc->allocated++;
        dc->pages[idx] = p;
        p->ram_page = DPAGE_FREE;
    } else {
        /* Full (or out of host memory): reuse a page in round-robin order. */
        if (!dc->allocated)
            abort(); /* cannot happen: malloc of the first page failed and nothing to evict */
        idx = dc->hand++ % dc->allocated;
        release(dc, idx);
        dc->free_top--; /* release() pushed idx; we take it straight back */
        dc->stat_evictions++;
        rv_code_changed(cpu);
    }
    p = dc->pages[idx];
    const void *decode = cpu->ops[RV_OP_DECODE * 2];
    const void *lookup = cpu->ops[RV_OP_LOOKUP * 2];
    for (unsigned i = 0; i < RV_DPAGE_SLOTS; i++)
        p->rec[i].h = decode;
    p->rec[RV_DPAGE_SLOTS].h = lookup;
    p->rec[RV_DPAGE_SLOTS + 1].h = lookup;
    p->ram_page = (uint32_t)ram_page;
    dc->map[ram_page] = idx + 1;
    dc->stat_decoded_pages++;
    /* Stores to it must take the slow path, which drops it. */
    rv_tlb_revoke_write(cpu, ram_page);
    /* An evicted page may have been the current one. */
    cpu->fetch_vpage = RV_TLB_NONE;
    return p->rec;
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

/*
 * The software TLB's bookkeeping: one context per address space (ASID), global entries,
 * and the flushes that sfence.vma, satp and mstatus writes need. Fills happen in mmu.c;
 * the fast paths only ever read cpu->dtlb / cpu->itlb and never see any of this.
 *
 * Keeping a context per ASID is what makes an address-space switch cheap: the guest's
 * next process finds its own entries where it left them, and the fast path needs no ASID
 * compare. Only the current context is kept up to date eagerly; the others catch up when
 * they are switched to (see struct rv_tlb_ctx).
 *
 * What else caches by virtual address, and why it stays right: the decode cache is keyed
 * by physical page; the JIT's blocks by virtual pc and physical page, and its jump cache
 * is checked against the current fetch set (tag and host page) on every use; the
 * interpreter's current code page (fetch_vpage) is forgotten on every switch and fence.
 */
#include "riscv/cpu_internal.h"

#include "core/log.h"

static void entry_drop(struct rv_tlb_entry *e)
{
    e->tag_r = e->tag_w = e->tag_x = RV_TLB_NONE;
}

/* The virtual page an entry holds (all its tags name the same one), or RV_TLB_NONE. */
static uint64_t entry_page(const struct rv_tlb_entry *e)
{
    if (e->tag_r != RV_TLB_NONE)
        return e->tag_r;
    if (e->tag_w != RV_TLB_NONE)
        return e->tag_w;
    return e->tag_x;
}

static unsigned meta_level(uint8_t m)
{
    return m >> RV_TLB_META_LEVEL_SHIFT;
}

/* Mask of the bits above the offset within a leaf of `level` (0: 4 KiB page). */
static uint64_t leaf_mask(unsigned level)
{
    return ~((1ULL << (RV_PAGE_SHIFT + 9 * level)) - 1);
}

static void super_extend(struct rv_tlb_ctx *c, uint64_t va, unsigned level)
{
    uint64_t lo = va & leaf_mask(level);
    uint64_t hi = lo | ~leaf_mask(level);
    if (lo < c->super_lo)
        c->super_lo = lo;
    if (hi > c->super_hi)
        c->super_hi = hi;
}

static void ctx_clear(struct rv_tlb_ctx *c)
{
    memset(c->set, 0xff, sizeof(c->set));
    memset(c->meta, 0, sizeof(c->meta));
    c->super_lo = UINT64_MAX;
    c->super_hi = 0;
    c->s_user = false;
}

static bool ctx_live(const struct rv_cpu *cpu, const struct rv_tlb_ctx *c)
{
    return c->in_use && c->epoch == cpu->tlb_epoch;
}

void rv_tlb_reset(struct rv_cpu *cpu)
{
    memset(cpu->tlb_m, 0xff, sizeof(cpu->tlb_m));
    for (unsigned i = 0; i < RV_TLB_CTXS; i++) {
        ctx_clear(&cpu->tlb_ctx[i]);
        cpu->tlb_ctx[i].in_use = false;
    }
    cpu->tlb_epoch++;
    struct rv_tlb_ctx *c = &cpu->tlb_ctx[0];
    c->in_use = true;
    c->asid = (uint16_t)((cpu->satp >> SATP_ASID_SHIFT) & SATP_ASID_MASK);
    c->root = cpu->satp & SATP_PPN_MASK;
    c->epoch = cpu->tlb_epoch;
    c->code_seen = cpu->tlb_code_gen;
    c->last_use = ++cpu->tlb_clock;
    cpu->tlb_cur = c;
    rv_csr_mode_changed(cpu);
}

void rv_tlb_flush_all(struct rv_cpu *cpu)
{
    cpu->stat_tlb_flushes++;
    memset(cpu->tlb_m, 0xff, sizeof(cpu->tlb_m));
    ctx_clear(cpu->tlb_cur);
    /* The other contexts are cleared when switched to, not now: this runs often. */
    cpu->tlb_epoch++;
    cpu->tlb_cur->epoch = cpu->tlb_epoch;
    cpu->fetch_vpage = RV_TLB_NONE;
}

/* Drops c's entries that may map va, from a 4 KiB page or from a superpage covering it. */
static void flush_va(struct rv_tlb_ctx *c, uint64_t va, bool keep_global, uint64_t *scans)
{

    unsigned idx = (va >> RV_PAGE_SHIFT) & (RV_TLB_SIZE - 1);
    for (int s = 0; s < RV_TLB_CTX_SETS; s++) {
        struct rv_tlb_entry *e = &c->set[s][idx];
        if (entry_page(e) == (va & RV_PAGE_MASK) &&
            !(keep_global && (c->meta[s][idx] & RV_TLB_META_GLOBAL)))
            entry_drop(e);
    }
    if (va < c->super_lo || va > c->super_hi)
        return;
    (*scans)++;
    /* A superpage was installed 4 KiB at a time: its pieces sit at any index. */
    for (int s = 0; s < RV_TLB_CTX_SETS; s++) {
        for (unsigned i = 0; i < RV_TLB_SIZE; i++) {
            uint8_t m = c->meta[s][i];
            unsigned level = meta_level(m);
            if (!level || (keep_global && (m & RV_TLB_META_GLOBAL)))
                continue;
            uint64_t page = entry_page(&c->set[s][i]);
            if (page != RV_TLB_NONE && (page & leaf_mask(level)) == (va & leaf_mask(level)))
                entry_drop(&c->set[s][i]);
        }
    }
}

static void flush_nonglobal(struct rv_tlb_ctx *c)
{
    for (int s = 0; s < RV_TLB_CTX_SETS; s++) {
        for (unsigned i = 0; i < RV_TLB_SIZE; i++) {
            if (!(c->meta[s][i] & RV_TLB_META_GLOBAL))
                entry_drop(&c->set[s][i]);
        }
    }
}

void rv_tlb_sfence(struct rv_cpu *cpu, bool has_va, uint64_t va, bool has_asid, uint64_t asid)
{
    if (!has_va && !has_asid) {
        rv_tlb_flush_all(cpu);
        return;
    }
    /* Bits of rs2 beyond ASIDLEN are ignored, as the spec requires. */
    asid &= SATP_ASID_MASK;
    for (unsigned i = 0; i < RV_TLB_CTXS; i++) {
        struct rv_tlb_ctx *c = &cpu->tlb_ctx[i];
        if (!ctx_live(cpu, c) || (has_asid && c->asid != asid))
            continue;
        if (has_va)
            flush_va(c, va, has_asid, &cpu->stat_tlb_super_scans);
        else
            flush_nonglobal(c);
    }
    if (has_va)
        cpu->stat_tlb_sfence_va++;
    else
        cpu->stat_tlb_sfence_asid++;
    cpu->fetch_vpage = RV_TLB_NONE;
}

/* A fresh context starts with the global entries of the one being left: they hold in all. */
static void copy_globals(struct rv_tlb_ctx *to, const struct rv_tlb_ctx *from)
{
    for (int s = 0; s < RV_TLB_CTX_SETS; s++) {
        for (unsigned i = 0; i < RV_TLB_SIZE; i++) {
            uint8_t m = from->meta[s][i];
            uint64_t page = entry_page(&from->set[s][i]);
            if (!(m & RV_TLB_META_GLOBAL) || page == RV_TLB_NONE)
                continue;
            to->set[s][i] = from->set[s][i];
            to->meta[s][i] = m;
            if (m & RV_TLB_META_USER)
                to->s_user = true;
            if (meta_level(m))
                super_extend(to, page, meta_level(m));
        }
    }
}

/* Catches up with the pages that became code while c was not current. */
static void revoke_lazily(struct rv_cpu *cpu, struct rv_tlb_ctx *c)
{
    uint64_t ram = (uint64_t)(uintptr_t)cpu->phys.ram;
    for (int s = 0; s < RV_TLB_CTX_SETS; s++) {
        for (unsigned i = 0; i < RV_TLB_SIZE; i++) {
            struct rv_tlb_entry *e = &c->set[s][i];
            if (e->tag_w != RV_TLB_NONE && rv_dcache_is_code(cpu, e->tag_w + e->addend - ram))
                e->tag_w = RV_TLB_NONE;
        }
    }
    c->code_seen = cpu->tlb_code_gen;
}

void rv_tlb_set_satp(struct rv_cpu *cpu, uint64_t satp)
{
    uint64_t old = cpu->satp;
    cpu->satp = satp;
    if (old == satp)
        return;
    /* Another translation scheme: nothing cached under the old one applies. */
    if ((old ^ satp) >> SATP_MODE_SHIFT)
        rv_tlb_flush_all(cpu);

    uint16_t asid = (uint16_t)((satp >> SATP_ASID_SHIFT) & SATP_ASID_MASK);
    uint64_t root = satp & SATP_PPN_MASK;
    struct rv_tlb_ctx *prev = cpu->tlb_cur, *c = NULL, *victim = NULL;
    for (unsigned i = 0; i < RV_TLB_CTXS && !c; i++) {
        struct rv_tlb_ctx *t = &cpu->tlb_ctx[i];
        if (t->in_use && t->asid == asid)
            c = t;
        else if (!victim || (victim->in_use && (!t->in_use || t->last_use < victim->last_use)))
            victim = t;
    }
    bool fresh = false;
    if (!c) {
        c = victim;
        c->in_use = true;
        c->asid = asid;
        fresh = true;
    }
    /*
     * Stale (a full flush happened while it was away), new, or the same ASID over another
     * root table: software owes an sfence.vma for the last, but stale entries of another
     * table could alias anything, so start over.
     */
    cpu->stat_tlb_switches++;
    if (fresh || c->epoch != cpu->tlb_epoch || c->root != root) {
        cpu->stat_tlb_ctx_fills++;
        ctx_clear(c);
        c->epoch = cpu->tlb_epoch;
        c->root = root;
        c->code_seen = cpu->tlb_code_gen;
        if (c != prev)
            copy_globals(c, prev);
    } else if (c->code_seen != cpu->tlb_code_gen) {
        revoke_lazily(cpu, c);
    }
    c->last_use = ++cpu->tlb_clock;
    cpu->tlb_cur = c;
    rv_csr_mode_changed(cpu);
}

/*
 * Linux sets and clears SUM around every copy to or from user memory, so this must not
 * flush: entries cached while the bits allowed less stay right when they allow more; only
 * what SUM or MXR allowed needs dropping when they are cleared.
 */
void rv_tlb_sum_mxr_changed(struct rv_cpu *cpu, uint64_t old)
{
    uint64_t cleared = old & ~cpu->mstatus;
    if (cleared & MSTATUS_MXR) {
        /* Rare: which entries MXR made readable is not recorded. */
        rv_tlb_flush_all(cpu);
        return;
    }
    if (!(cleared & MSTATUS_SUM))
        return;
    for (unsigned i = 0; i < RV_TLB_CTXS; i++) {
        struct rv_tlb_ctx *c = &cpu->tlb_ctx[i];
        if (!ctx_live(cpu, c) || !c->s_user)
            continue;
        for (unsigned j = 0; j < RV_TLB_SIZE; j++) {
            if (c->meta[RV_PRIV_S][j] & RV_TLB_META_USER)
                entry_drop(&c->set[RV_PRIV_S][j]);
        }
        c->s_user = false;
    }
}

void rv_tlb_log_stats(const struct rv_cpu *cpu)
{
    log_info("riscv", "tlb: %llu full flushes, %llu address-space switches (%llu into a "
             "fresh context), %llu sfence.vma by address (%llu superpage scans), %llu by ASID",
             (unsigned long long)cpu->stat_tlb_flushes,
             (unsigned long long)cpu->stat_tlb_switches,
             (unsigned long long)cpu->stat_tlb_ctx_fills,
             (unsigned long long)cpu->stat_tlb_sfence_va,
             (unsigned long long)cpu->stat_tlb_super_scans,
             (unsigned long long)cpu->stat_tlb_sfence_asid);
}

void rv_tlb_note_fill(struct rv_cpu *cpu, int priv, unsigned idx, uint64_t va, int level,
                      bool global, bool user, bool fresh)
{
    if (priv == RV_PRIV_M)
        return;
    struct rv_tlb_ctx *c = cpu->tlb_cur;
    uint8_t *m = &c->meta[priv][idx];
    unsigned lv = (unsigned)level;
    bool g = global;
    bool u = user && priv == RV_PRIV_S;
    if (!fresh) {
        /*
         * Earlier fills of the same page count too: the largest leaf, global only if all
         * were, user if any was.
         */
        if (meta_level(*m) > lv)
            lv = meta_level(*m);
        g = g && (*m & RV_TLB_META_GLOBAL);
        u = u || (*m & RV_TLB_META_USER);
    }
    *m = (uint8_t)((g ? RV_TLB_META_GLOBAL : 0) | (u ? RV_TLB_META_USER : 0) |
                   lv << RV_TLB_META_LEVEL_SHIFT);
    if (u)
        c->s_user = true;
    if (lv)
        super_extend(c, va, lv);
}

void rv_tlb_revoke_write(struct rv_cpu *cpu, uint64_t ram_page)
{
    uint64_t host = (uint64_t)(uintptr_t)(cpu->phys.ram + (ram_page << RV_PAGE_SHIFT));
    cpu->tlb_code_gen++;
    for (unsigned i = 0; i < RV_TLB_SIZE; i++) {
        struct rv_tlb_entry *e = &cpu->tlb_m[i];
        if (e->tag_w != RV_TLB_NONE && e->tag_w + e->addend == host)
            e->tag_w = RV_TLB_NONE;
    }
    struct rv_tlb_ctx *c = cpu->tlb_cur;
    for (int s = 0; s < RV_TLB_CTX_SETS; s++) {
        for (unsigned i = 0; i < RV_TLB_SIZE; i++) {
            struct rv_tlb_entry *e = &c->set[s][i];
            if (e->tag_w != RV_TLB_NONE && e->tag_w + e->addend == host)
                e->tag_w = RV_TLB_NONE;
        }
    }
    c->code_seen = cpu->tlb_code_gen;
}

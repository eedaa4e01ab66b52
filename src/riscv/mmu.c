/*
 * Address translation (Sv39/Sv48), the software TLB behind the load/store fast paths, and
 * the slow paths: misaligned accesses, MMIO, the slow page, instruction fetch.
 */
#include "riscv/cpu_internal.h"

#include "core/log.h"

#define PTE_V (1ULL << 0)
#define PTE_R (1ULL << 1)
#define PTE_W (1ULL << 2)
#define PTE_X (1ULL << 3)
#define PTE_U (1ULL << 4)
#define PTE_G (1ULL << 5)
#define PTE_A (1ULL << 6)
#define PTE_D (1ULL << 7)
#define PTE_PPN_SHIFT 10
#define PTE_PPN_MASK ((1ULL << 44) - 1)

static const uint64_t page_fault_cause[3] = {RV_EXC_LOAD_PAGE, RV_EXC_STORE_PAGE,
                                             RV_EXC_INSN_PAGE};
static const uint64_t access_fault_cause[3] = {RV_EXC_LOAD_ACCESS, RV_EXC_STORE_ACCESS,
                                               RV_EXC_INSN_ACCESS};

/* Host pointer for [pa, pa+size) if it is plain RAM (not the slow page), else NULL. */
static inline uint8_t *ram_ptr(const struct rv_cpu *cpu, uint64_t pa, unsigned size)
{
    uint64_t off = pa - cpu->phys.ram_base;
    if (off >= cpu->phys.ram_size || cpu->phys.ram_size - off < size)
        return NULL;
    if ((pa & RV_PAGE_MASK) == cpu->slow_page)
        return NULL;
    return cpu->phys.ram + off;
}

/*
 * Walks the page table. Returns 0 with the physical address, the leaf PTE and its level,
 * or an exception cause (> 0). Sets A (and D for writes) in the PTE like hardware would.
 */
static uint64_t walk(struct rv_cpu *cpu, uint64_t va, enum rv_access acc, int priv,
                     uint64_t *pa, uint64_t *pte_out, int *level_out)
{
    uint64_t mode = cpu->satp >> SATP_MODE_SHIFT;
    int levels = mode == 9 ? 4 : 3;
    int va_bits = RV_PAGE_SHIFT + 9 * levels;
    /* The upper bits must copy the top bit of the virtual address. */
    int64_t sva = (int64_t)(va << (64 - va_bits)) >> (64 - va_bits);
    if ((uint64_t)sva != va)
        return page_fault_cause[acc];

    uint64_t table = (cpu->satp & SATP_PPN_MASK) << RV_PAGE_SHIFT;
    for (int i = levels - 1; i >= 0; i--) {
        uint64_t pte_pa = table + ((va >> (RV_PAGE_SHIFT + 9 * i)) & 0x1ff) * 8;
        uint8_t *host = ram_ptr(cpu, pte_pa, 8);
        if (!host) {
            log_once(LOG_WARN, "riscv", "page table walk outside RAM at 0x%llx",
                     (unsigned long long)pte_pa);
            return access_fault_cause[acc];
        }
        uint64_t *ptep = (uint64_t *)(void *)host;
        uint64_t pte = __atomic_load_n(ptep, __ATOMIC_RELAXED);
        if (!(pte & PTE_V) || ((pte & PTE_W) && !(pte & PTE_R)))
            return page_fault_cause[acc];
        /* N, PBMT and reserved bits: we advertise none of Svnapot/Svpbmt. */
        if (pte >> 54)
            return page_fault_cause[acc];
        uint64_t ppn = (pte >> PTE_PPN_SHIFT) & PTE_PPN_MASK;
        if (!(pte & (PTE_R | PTE_X))) {
            if (pte & (PTE_D | PTE_A | PTE_U))
                return page_fault_cause[acc];
            table = ppn << RV_PAGE_SHIFT;
            continue;
        }
        /* Leaf: permissions. */
        if (priv == RV_PRIV_U) {
            if (!(pte & PTE_U))
                return page_fault_cause[acc];
        } else if (pte & PTE_U) {
            if (acc == RV_ACC_X || !(cpu->mstatus & MSTATUS_SUM))
                return page_fault_cause[acc];
        }
        switch (acc) {
        case RV_ACC_R:
            if (!(pte & PTE_R) && !((cpu->mstatus & MSTATUS_MXR) && (pte & PTE_X)))
                return page_fault_cause[acc];
            break;
        case RV_ACC_W:
            if (!(pte & PTE_W))
                return page_fault_cause[acc];
            break;
        case RV_ACC_X:
            if (!(pte & PTE_X))
                return page_fault_cause[acc];
            break;
        }
        uint64_t low_ppn_mask = (1ULL << (9 * i)) - 1;
        if (ppn & low_ppn_mask)
            return page_fault_cause[acc];
        uint64_t need = PTE_A | (acc == RV_ACC_W ? PTE_D : 0);
        if ((pte & need) != need) {
            uint64_t upd = pte | need;
            /* A page table sharing a page with decoded code: keep the cache honest. */
            rv_dcache_note_write(cpu, pte_pa - cpu->phys.ram_base);
            /* Another hart may have changed the PTE since we read it: walk again. */
            if (!__atomic_compare_exchange_n(ptep, &pte, upd, false, __ATOMIC_SEQ_CST,
                                             __ATOMIC_RELAXED))
                return walk(cpu, va, acc, priv, pa, pte_out, level_out);
            pte = upd;
        }
        uint64_t off_mask = (1ULL << (RV_PAGE_SHIFT + 9 * i)) - 1;
        *pa = ((ppn << RV_PAGE_SHIFT) & ~off_mask) | (va & off_mask);
        *pte_out = pte;
        *level_out = i;
        return 0;
    }
    return page_fault_cause[acc];
}

/*
 * Translates and, when the page is plain RAM, installs a TLB entry so the next access to
 * it takes the fast path. Returns 0 or -1 with the exception set.
 */
static int translate_fill(struct rv_cpu *cpu, uint64_t va, enum rv_access acc, uint64_t *pa_out)
{
    int priv = acc == RV_ACC_X ? cpu->priv : rv_data_priv(cpu);
    uint64_t pa = 0;
    bool r_ok, w_ok, x_ok, global = false, user = false;
    int leaf_level = 0;
    if (priv == RV_PRIV_M || (cpu->satp >> SATP_MODE_SHIFT) == 0) {
        pa = va;
        r_ok = w_ok = x_ok = true;
    } else {
        uint64_t pte = 0;
        int level = 0;
        uint64_t cause = walk(cpu, va, acc, priv, &pa, &pte, &level);
        if (cause)
            return rv_raise(cpu, cause, va);
        /*
         * A later access of another kind may use the entry only if the walk would have
         * allowed it without touching A/D: A is set now; writes also need D.
         */
        bool mxr = cpu->mstatus & MSTATUS_MXR;
        r_ok = (pte & PTE_R) || (mxr && (pte & PTE_X));
        w_ok = (pte & PTE_W) && (pte & PTE_D);
        x_ok = (pte & PTE_X) && !(priv == RV_PRIV_S && (pte & PTE_U));
        leaf_level = level;
        global = pte & PTE_G;
        user = pte & PTE_U;
    }
    *pa_out = pa;
    uint64_t ppage = pa & RV_PAGE_MASK;
    uint8_t *host = ram_ptr(cpu, ppage, (unsigned)RV_PAGE_SIZE);
    if (host) {
        uint64_t vpage = va & RV_PAGE_MASK;
        unsigned idx = (va >> RV_PAGE_SHIFT) & (RV_TLB_SIZE - 1);
        struct rv_tlb_entry *e = &rv_tlb_set(cpu, priv)[idx];
        uint64_t addend = (uint64_t)(uintptr_t)host - vpage;
        bool fresh = e->addend != addend ||
                     (e->tag_r != vpage && e->tag_w != vpage && e->tag_x != vpage);
        if (fresh) {
            e->tag_r = e->tag_w = e->tag_x = RV_TLB_NONE;
            e->addend = addend;
        }
        rv_tlb_note_fill(cpu, priv, idx, va, leaf_level, global, user, fresh);
        /* While a load or store trigger is armed, every such access checks it (slow). */
        if (r_ok && !(cpu->trig_armed & RV_TRIG_LOAD))
            e->tag_r = vpage;
        /* Stores to a page with decoded code stay on the slow path, which invalidates. */
        if (w_ok && !rv_dcache_is_code(cpu, ppage - cpu->phys.ram_base) &&
            !(cpu->trig_armed & RV_TRIG_STORE))
            e->tag_w = vpage;
        if (x_ok)
            e->tag_x = vpage;
    }
    return 0;
}

int rv_mmu_translate(struct rv_cpu *cpu, uint64_t va, enum rv_access acc, uint64_t *pa)
{
    return translate_fill(cpu, va, acc, pa);
}

int rv_mmu_phys_read(struct rv_cpu *cpu, uint64_t pa, unsigned size, uint64_t *val,
                     uint64_t va, enum rv_access acc)
{
    uint8_t *h = ram_ptr(cpu, pa, size);
    if (h) {
        uint64_t v = 0;
        memcpy(&v, h, size);
        *val = v;
        return 0;
    }
    uint64_t v = 0;
    if (cpu->phys.mmio && mmio_bus_read(cpu->phys.mmio, pa, size, &v)) {
        if (size < 8)
            v &= (1ULL << (size * 8)) - 1;
        *val = v;
        return 0;
    }
    log_once(LOG_WARN, "riscv", "access fault: read of %u bytes at unmapped 0x%llx (pc 0x%llx)",
             size, (unsigned long long)pa, (unsigned long long)cpu->pc);
    /* An AMO reads for a write: its fault is a store/AMO access fault. */
    return rv_raise(cpu, acc == RV_ACC_X   ? RV_EXC_INSN_ACCESS
                         : acc == RV_ACC_W ? RV_EXC_STORE_ACCESS
                                           : RV_EXC_LOAD_ACCESS, va);
}

int rv_mmu_phys_write(struct rv_cpu *cpu, uint64_t pa, unsigned size, uint64_t val,
                      uint64_t va)
{
    uint8_t *h = ram_ptr(cpu, pa, size);
    if (h) {
        rv_dcache_note_write(cpu, pa - cpu->phys.ram_base);
        memcpy(h, &val, size);
        return 0;
    }
    if (cpu->phys.mmio && mmio_bus_write(cpu->phys.mmio, pa, size, val))
        return 0;
    log_once(LOG_WARN, "riscv", "access fault: write of %u bytes at unmapped 0x%llx (pc 0x%llx)",
             size, (unsigned long long)pa, (unsigned long long)cpu->pc);
    return rv_raise(cpu, RV_EXC_STORE_ACCESS, va);
}

/* A naturally aligned access (size 1, 2, 4 or 8) that missed the TLB. */
static int load_aligned(struct rv_cpu *cpu, uint64_t va, unsigned size, uint64_t *val)
{
    uint64_t pa;
    if (translate_fill(cpu, va, RV_ACC_R, &pa))
        return -1;
    return rv_mmu_phys_read(cpu, pa, size, val, va, RV_ACC_R);
}

static int store_aligned(struct rv_cpu *cpu, uint64_t va, unsigned size, uint64_t val)
{
    uint64_t pa;
    if (translate_fill(cpu, va, RV_ACC_W, &pa))
        return -1;
    return rv_mmu_phys_write(cpu, pa, size, val, va);
}

/*
 * One byte of a misaligned access: the fast path when the TLB allows, else the aligned
 * slow path. Not rv_load()/rv_store(), whose slow paths would check the triggers again,
 * byte by byte, after the whole access has been checked.
 */
static int load_byte(struct rv_cpu *cpu, uint64_t va, uint64_t *val)
{
    const struct rv_tlb_entry *e = &cpu->dtlb[(va >> RV_PAGE_SHIFT) & (RV_TLB_SIZE - 1)];
    if (e->tag_r == (va & RV_PAGE_MASK)) {
        *val = *(const uint8_t *)(uintptr_t)(va + e->addend);
        return 0;
    }
    return load_aligned(cpu, va, 1, val);
}

static int store_byte(struct rv_cpu *cpu, uint64_t va, uint8_t val)
{
    const struct rv_tlb_entry *e = &cpu->dtlb[(va >> RV_PAGE_SHIFT) & (RV_TLB_SIZE - 1)];
    if (e->tag_w == (va & RV_PAGE_MASK)) {
        *(uint8_t *)(uintptr_t)(va + e->addend) = val;
        return 0;
    }
    return store_aligned(cpu, va, 1, val);
}

int rv_mmu_load_slow(struct rv_cpu *cpu, uint64_t va, unsigned size, uint64_t *val)
{
    /* A load address breakpoint comes before misalignment and translation faults. */
    if (rv_trig_mem(cpu, va, size, RV_TRIG_LOAD))
        return -1;
    if (va & (size - 1)) {
        /* Misaligned: byte by byte, each byte translated on its own (pages may differ). */
        uint64_t v = 0;
        for (unsigned i = 0; i < size; i++) {
            uint64_t b;
            if (load_byte(cpu, va + i, &b))
                return -1;
            v |= b << (8 * i);
        }
        *val = v;
        return 0;
    }
    return load_aligned(cpu, va, size, val);
}

int rv_mmu_store_slow(struct rv_cpu *cpu, uint64_t va, unsigned size, uint64_t val)
{
    if (rv_trig_mem(cpu, va, size, RV_TRIG_STORE))
        return -1;
    if (va & (size - 1)) {
        /* Fault before writing anything: check both ends (at most two pages). */
        uint64_t pa;
        if (translate_fill(cpu, va, RV_ACC_W, &pa) ||
            translate_fill(cpu, va + size - 1, RV_ACC_W, &pa))
            return -1;
        for (unsigned i = 0; i < size; i++) {
            if (store_byte(cpu, va + i, (uint8_t)(val >> (8 * i))))
                return -1;
        }
        return 0;
    }
    return store_aligned(cpu, va, size, val);
}

/* Fetches 16 bits at pc (2-aligned), through the TLB when the page is RAM. */
static int fetch16(struct rv_cpu *cpu, uint64_t pc, uint32_t *half)
{
    struct rv_tlb_entry *e = &rv_tlb_set(cpu, cpu->priv)[(pc >> RV_PAGE_SHIFT) & (RV_TLB_SIZE - 1)];
    uint64_t vpage = pc & RV_PAGE_MASK;
    if (e->tag_x != vpage) {
        uint64_t pa;
        if (translate_fill(cpu, pc, RV_ACC_X, &pa))
            return -1;
        if (e->tag_x != vpage) {
            /* Not plain RAM: a device or the slow page. */
            uint64_t v;
            if (rv_mmu_phys_read(cpu, pa, 2, &v, pc, RV_ACC_X))
                return -1;
            *half = (uint32_t)v;
            return 0;
        }
    }
    const uint8_t *page = (const uint8_t *)(uintptr_t)(vpage + e->addend);
    uint16_t v;
    memcpy(&v, page + (pc & 0xfff), 2);
    *half = v;
    return 0;
}

int rv_mmu_fetch_slow(struct rv_cpu *cpu, uint64_t pc, uint32_t *insn)
{
    uint32_t lo, hi;
    if (fetch16(cpu, pc, &lo))
        return -1;
    if ((lo & 3) != 3) {
        *insn = lo;
        return 0;
    }
    /* The upper half may lie on the next page: mepc stays pc, tval names that page. */
    if (fetch16(cpu, pc + 2, &hi))
        return -1;
    *insn = lo | (hi << 16);
    return 0;
}

int rv_mmu_fetch_fill(struct rv_cpu *cpu, uint64_t pc)
{
    const struct rv_tlb_entry *e =
        &rv_tlb_set(cpu, cpu->priv)[(pc >> RV_PAGE_SHIFT) & (RV_TLB_SIZE - 1)];
    uint64_t pa;
    if (e->tag_x == (pc & RV_PAGE_MASK))
        return 0;
    return translate_fill(cpu, pc, RV_ACC_X, &pa) ? -1 : 0;
}

struct rv_drec *rv_mmu_code_lookup(struct rv_cpu *cpu, uint64_t pc)
{
    struct rv_tlb_entry *e = &rv_tlb_set(cpu, cpu->priv)[(pc >> RV_PAGE_SHIFT) & (RV_TLB_SIZE - 1)];
    uint64_t vpage = pc & RV_PAGE_MASK;
    if (e->tag_x != vpage) {
        uint64_t pa;
        if (translate_fill(cpu, pc, RV_ACC_X, &pa))
            return NULL;
        if (e->tag_x != vpage)
            return cpu->uncached; /* a device or the slow page: fetched every time */
    }
    const uint8_t *host = (const uint8_t *)(uintptr_t)(vpage + e->addend);
    struct rv_drec *recs = rv_dcache_page(cpu, (uint64_t)(host - cpu->phys.ram) >> RV_PAGE_SHIFT);
    cpu->fetch_vpage = vpage;
    cpu->fetch_code = recs;
    cpu->fetch_host = host;
    return recs + ((pc & 0xfff) >> 1);
}

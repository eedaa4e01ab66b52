/*
 * Inside the RV64GC hart: state layout and the helpers shared by the execution loop
 * (cpu.c), the MMU (mmu.c), CSRs (csr.c) and traps (trap.c). Nothing outside src/riscv/
 * should include this.
 */
#ifndef KITE_RISCV_CPU_INTERNAL_H
#define KITE_RISCV_CPU_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "riscv/cpu.h"
#include "riscv/fpu.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the hart maps guest RAM directly and assumes a little-endian host"
#endif

#define rv_likely(x) __builtin_expect(!!(x), 1)
#define rv_unlikely(x) __builtin_expect(!!(x), 0)

#define RV_PAGE_SHIFT 12
#define RV_PAGE_SIZE 4096ULL
#define RV_PAGE_MASK (~(uint64_t)0xfff)

/*
 * Per-privilege software TLB, direct mapped on the virtual page number. 1024 entries (4
 * MiB of pages): with 256, page walks took 4-5% of the cpu benchmark's host time (gzip's
 * tables and input outgrow 1 MiB), with 1024 under 1%; 4096 gained nothing more, since
 * clearing SUM scans the S set of every context and grew to match.
 */
#define RV_TLB_BITS 10
#define RV_TLB_SIZE (1u << RV_TLB_BITS)
#define RV_TLB_NONE UINT64_MAX /* never equals a page address masked by an access */

/*
 * One virtual page. A tag is the page address when that kind of access may use `addend`
 * (host pointer = vaddr + addend) without a walk, RV_TLB_NONE otherwise. Aligned accesses
 * compare (vaddr & (page mask | size-1)) with the tag, so a misaligned access misses.
 */
struct rv_tlb_entry {
    uint64_t tag_r;
    uint64_t tag_w;
    uint64_t tag_x;
    uint64_t addend;
};

/*
 * The TLB is kept per address space: a context holds the U and S sets for one ASID, so a
 * satp write that switches ASID switches contexts instead of flushing, and the fast paths
 * (cpu->dtlb, cpu->itlb) stay one compare. M (bare, or MPRV with MPP=M) has one set of its
 * own. Contexts other than the current one are brought up to date when they are switched
 * to: full flushes (cpu->tlb_epoch) and write-tag revocations (cpu->tlb_code_gen).
 */
#define RV_TLB_CTXS 8
#define RV_TLB_CTX_SETS 2 /* [RV_PRIV_U], [RV_PRIV_S] */

/* meta[] of an entry: what flushes need to know, off the fast path. */
#define RV_TLB_META_GLOBAL 0x01u      /* every fill of it came from a PTE with G set */
#define RV_TLB_META_USER 0x02u        /* S set: a U page, reachable only while SUM = 1 */
#define RV_TLB_META_LEVEL_SHIFT 2     /* leaf level of its largest fill: 0 = 4 KiB page */

struct rv_tlb_ctx {
    struct rv_tlb_entry set[RV_TLB_CTX_SETS][RV_TLB_SIZE];
    uint8_t meta[RV_TLB_CTX_SETS][RV_TLB_SIZE];
    uint16_t asid;
    bool in_use;
    bool s_user;        /* its S set may hold RV_TLB_META_USER entries */
    uint64_t root;      /* satp.PPN its entries were walked from */
    uint64_t epoch;     /* its entries are valid only while this equals cpu->tlb_epoch */
    uint64_t code_seen; /* cpu->tlb_code_gen when its write tags were last revoked */
    uint64_t last_use;  /* for picking the context to recycle */
    uint64_t super_lo, super_hi; /* virtual range of entries that came from superpages */
};

/* Exception causes */
enum {
    RV_EXC_INSN_MISALIGNED = 0,
    RV_EXC_INSN_ACCESS = 1,
    RV_EXC_ILLEGAL = 2,
    RV_EXC_BREAKPOINT = 3,
    RV_EXC_LOAD_MISALIGNED = 4,
    RV_EXC_LOAD_ACCESS = 5,
    RV_EXC_STORE_MISALIGNED = 6,
    RV_EXC_STORE_ACCESS = 7,
    RV_EXC_ECALL_U = 8,
    RV_EXC_ECALL_S = 9,
    RV_EXC_ECALL_M = 11,
    RV_EXC_INSN_PAGE = 12,
    RV_EXC_LOAD_PAGE = 13,
    RV_EXC_STORE_PAGE = 15,
};

#define RV_CAUSE_IRQ (1ULL << 63)

/* mstatus */
#define MSTATUS_SIE (1ULL << 1)
#define MSTATUS_MIE (1ULL << 3)
#define MSTATUS_SPIE (1ULL << 5)
#define MSTATUS_UBE (1ULL << 6)
#define MSTATUS_MPIE (1ULL << 7)
#define MSTATUS_SPP (1ULL << 8)
#define MSTATUS_VS (3ULL << 9)
#define MSTATUS_MPP_SHIFT 11
#define MSTATUS_MPP (3ULL << 11)
#define MSTATUS_FS_SHIFT 13
#define MSTATUS_FS (3ULL << 13)
#define MSTATUS_XS (3ULL << 15)
#define MSTATUS_MPRV (1ULL << 17)
#define MSTATUS_SUM (1ULL << 18)
#define MSTATUS_MXR (1ULL << 19)
#define MSTATUS_TVM (1ULL << 20)
#define MSTATUS_TW (1ULL << 21)
#define MSTATUS_TSR (1ULL << 22)
#define MSTATUS_UXL (3ULL << 32)
#define MSTATUS_SXL (3ULL << 34)
#define MSTATUS_SD (1ULL << 63)

#define MENVCFG_FIOM (1ULL << 0)
#define MENVCFG_STCE (1ULL << 63)
#define MCOUNTINHIBIT_CY (1ULL << 0)
#define MCOUNTINHIBIT_IR (1ULL << 2)

#define SATP_MODE_SHIFT 60
#define SATP_PPN_MASK ((1ULL << 44) - 1)
#define SATP_ASID_SHIFT 44
#define SATP_ASID_MASK 0xffffULL /* ASIDLEN = 16, the most Sv39/Sv48 allow */

/* Memory access kinds for translation and faults. */
enum rv_access { RV_ACC_R = 0, RV_ACC_W = 1, RV_ACC_X = 2 };

/*
 * Decode cache. Each decoded RAM page holds one record per 2-byte slot (an instruction may
 * start at any even offset), filled lazily: a fresh page is all RV_OP_DECODE, and a slot
 * decodes itself the first time it runs. Two sentinel slots after the last one send
 * execution that falls off the end of the page back to a lookup.
 *
 * Knowing that a page holds code (so stores to it are seen) and holding its records are
 * separate: a code page is a cheap slot, and only the interpreter needs 32 KiB of records
 * for it. The JIT tracks the pages it translates and runs its rare interpreter steps with
 * few records, so translated code does not pay for decoded copies it never reads.
 */
#define RV_DPAGE_SLOTS 2048
#define RV_DCACHE_SLOTS 16384      /* code pages tracked at once (64 MiB of guest code) */
#define RV_DCACHE_REC_PAGES 1024   /* record pages for the interpreter (32 KiB each) */
#define RV_DCACHE_REC_PAGES_JIT 16 /* ... when the JIT runs the hart (cold code only) */

/* Handlers of the threaded interpreter; cpu->ops maps them to label addresses. */
enum rv_op {
    RV_OP_DECODE, RV_OP_LOOKUP, RV_OP_UNCACHED, RV_OP_ILLEGAL, RV_OP_GENERIC, RV_OP_NOP,
    RV_OP_FENCE_I,
    RV_OP_LUI, RV_OP_AUIPC, RV_OP_JAL, RV_OP_JALR,
    RV_OP_BEQ, RV_OP_BNE, RV_OP_BLT, RV_OP_BGE, RV_OP_BLTU, RV_OP_BGEU,
    RV_OP_LB, RV_OP_LH, RV_OP_LW, RV_OP_LD, RV_OP_LBU, RV_OP_LHU, RV_OP_LWU,
    RV_OP_SB, RV_OP_SH, RV_OP_SW, RV_OP_SD,
    RV_OP_ADDI, RV_OP_SLTI, RV_OP_SLTIU, RV_OP_XORI, RV_OP_ORI, RV_OP_ANDI,
    RV_OP_SLLI, RV_OP_SRLI, RV_OP_SRAI, RV_OP_ADDIW, RV_OP_SLLIW, RV_OP_SRLIW, RV_OP_SRAIW,
    RV_OP_ADD, RV_OP_SUB, RV_OP_SLL, RV_OP_SLT, RV_OP_SLTU, RV_OP_XOR, RV_OP_SRL, RV_OP_SRA,
    RV_OP_OR, RV_OP_AND,
    RV_OP_MUL, RV_OP_MULH, RV_OP_MULHSU, RV_OP_MULHU, RV_OP_DIV, RV_OP_DIVU, RV_OP_REM,
    RV_OP_REMU,
    RV_OP_ADDW, RV_OP_SUBW, RV_OP_SLLW, RV_OP_SRLW, RV_OP_SRAW,
    RV_OP_MULW, RV_OP_DIVW, RV_OP_DIVUW, RV_OP_REMW, RV_OP_REMUW,
    RV_OP_COUNT
};

/*
 * One decoded instruction. rd is 32 (a sink register) when the instruction writes x0, so
 * handlers never have to re-zero x0. For RV_OP_GENERIC imm holds the 32-bit instruction
 * and, when it came from a 16-bit one, rd | rs1 << 8 hold that original encoding (for tval).
 */
struct rv_drec {
    const void *h;
    int32_t imm;
    uint8_t rd, rs1, rs2;
    uint8_t len; /* 2 or 4 */
};

/* A tracked code page. */
struct rv_dpage {
    uint32_t ram_page; /* index of the RAM page, UINT32_MAX when the slot is free */
    uint32_t gen;      /* bumped each time the page is forgotten (the JIT checks it) */
    uint32_t rec;      /* 1 + index of its record page in recs[], 0 when it has none */
};

struct rv_dcache {
    uint32_t *map;          /* per RAM page: 1 + index in pages[], 0 = not code */
    uint64_t ram_pages;
    struct rv_dpage *pages; /* RV_DCACHE_SLOTS slots */
    uint32_t *free_slots;   /* stack of slots used once and free again */
    uint32_t allocated;     /* slots handed out so far (never more than slot_cap) */
    uint32_t hand;          /* round-robin eviction once slot_cap are in use */
    uint32_t free_top;
    uint32_t slot_cap;      /* <= RV_DCACHE_SLOTS (tests lower it) */
    struct rv_drec **recs;  /* RV_DCACHE_REC_PAGES record pages, allocated on demand */
    uint32_t *rec_owner;    /* per record page: its slot, UINT32_MAX when unused */
    uint8_t *rec_used;      /* per record page: entered since the hand last passed it */
    uint32_t *free_recs;    /* stack of allocated, unused record pages */
    uint32_t rec_allocated, rec_hand, rec_free_top;
    uint32_t rec_cap;       /* 0: RV_DCACHE_REC_PAGES or _JIT by engine (tests set it) */
    uint64_t stat_decoded_pages, stat_evictions, stat_invalidations, stat_flushes;
    uint64_t stat_rec_pages, stat_rec_evictions;
};

/* Sdtrig triggers (trigger.c). */
#define RV_NTRIG 4
struct rv_trigger {
    uint64_t tdata1;       /* always a legal value: type 2 or 6, or 15 (disabled) */
    uint64_t tdata2;
};
/* Kinds of access a trigger may fire on (the bits of mcontrol's load/store/execute). */
enum { RV_TRIG_LOAD = 1, RV_TRIG_STORE = 2, RV_TRIG_EXEC = 4 };

struct rv_cpu {
    /* Hot state first. x[0] is always zero; x[32] absorbs decoded writes to x0. */
    uint64_t x[33];
    uint64_t pc;
    uint64_t instret;      /* instructions executed (also counts trapping ones) */
    uint64_t limit;        /* the inner loop runs while instret < limit; 0 forces an exit */
    struct rv_tlb_entry *dtlb; /* the set for loads/stores at the effective privilege */
    struct rv_tlb_entry *itlb; /* the set for fetches at the current privilege */
    /*
     * The current code page: virtual page, its decoded records and host bytes. Any TLB
     * flush, mode change or decode-cache change resets fetch_vpage to RV_TLB_NONE.
     */
    uint64_t fetch_vpage;
    struct rv_drec *fetch_code;
    const uint8_t *fetch_host;
    /* Label addresses, set by the interpreter: ops[op * 2] for 16-bit, [op * 2 + 1] 32-bit. */
    const void *const *ops;

    int priv;
    bool irq_check;        /* something may have unmasked an interrupt: look at the boundary */
    bool stop_req;
    bool wfi_exit;

    /* The exception being raised by the current instruction. */
    uint64_t exc_cause;
    uint64_t exc_tval;

    struct rv_phys phys;
    uint64_t slow_page;    /* phys.slow_page, or RV_TLB_NONE when none */

    /* CSRs */
    uint64_t mstatus;
    uint64_t misa;
    uint64_t medeleg, mideleg;
    uint64_t mie, mip;     /* mip holds hardware and software bits except software SEIP */
    bool seip_sw;
    uint64_t mtvec, stvec;
    uint64_t mepc, sepc;
    uint64_t mcause, scause;
    uint64_t mtval, stval;
    uint64_t mscratch, sscratch;
    uint64_t satp;
    uint64_t mcounteren, scounteren;
    uint64_t menvcfg, senvcfg;
    uint64_t mcountinhibit;
    uint64_t stimecmp, mtimecmp;
    /*
     * While it counts, minstret is instret - instret_base and mcycle instret - cycle_base;
     * while mcountinhibit stops one, its value is held in instret_held / cycle_held. The
     * CSR accesses switch between the two, so the engines' hot paths never look.
     */
    uint64_t instret_base, cycle_base;
    uint64_t instret_held, cycle_held;
    uint64_t pmpcfg[8];    /* pmpcfg0, 2, ..., 14 */
    uint64_t pmpaddr[64];
    uint64_t hartid;

    /* AIA (Smaia/Ssaia): present only while an IMSIC is attached (irq_files.opaque). */
    struct hart_irq_files irq_files;
    uint64_t miselect, siselect;

    /* Sdtrig. trig_armed (RV_TRIG_*): kinds some trigger may fire on; 0 when none can. */
    struct rv_trigger trig[RV_NTRIG];
    unsigned tselect;
    uint8_t trig_armed;

    /* LR/SC reservation: a physical address, valid when resv_valid. */
    uint64_t resv_addr;
    bool resv_valid;

    struct rv_fp_state fp;

    struct rv_tlb_entry tlb_m[RV_TLB_SIZE];
    struct rv_tlb_ctx *tlb_cur;  /* the context of satp's ASID */
    uint64_t tlb_epoch;          /* bumped by every flush of all address spaces */
    uint64_t tlb_clock;          /* context switches, for last_use */
    uint64_t tlb_code_gen;       /* bumped each time a RAM page becomes code */
    uint64_t stat_tlb_flushes, stat_tlb_switches, stat_tlb_ctx_fills, stat_tlb_sfence_va,
             stat_tlb_sfence_asid, stat_tlb_super_scans;
    struct rv_tlb_ctx tlb_ctx[RV_TLB_CTXS];

    /* Instructions that are not cached: slot 0 runs, slots 1-2 send the next pc to lookup. */
    struct rv_drec uncached[3];
    struct rv_drec tmp[3];

    struct rv_dcache dc;

    struct rv_jit *jit;    /* the JIT engine, NULL when the interpreter runs alone */
    uintptr_t jit_exit;    /* set by translated code: the chainable exit it left by */
    uintptr_t jit_block;   /* set by translated code with jit_exit: the block it left */
    /*
     * Bumped whenever decoded code is forgotten (a decode-cache page released, the JIT's
     * cache flushed): the JIT's jump cache entries are good while it is unchanged.
     */
    uint64_t code_epoch;
};

/* Decoded code was forgotten: the current code page and the JIT's jump cache are stale. */
static inline void rv_code_changed(struct rv_cpu *cpu)
{
    cpu->fetch_vpage = RV_TLB_NONE;
    cpu->code_epoch++;
}

/* --- tlb.c --- */
/* Forgets every translation of every address space (reset). */
void rv_tlb_reset(struct rv_cpu *cpu);
/* sfence.vma x0, x0, and anything that changes what every cached translation allows. */
void rv_tlb_flush_all(struct rv_cpu *cpu);
/* sfence.vma: `va` and `asid` name what it orders, or are absent (has_va, has_asid false). */
void rv_tlb_sfence(struct rv_cpu *cpu, bool has_va, uint64_t va, bool has_asid, uint64_t asid);
/* A satp write (already legal and masked); switches address space without a full flush. */
void rv_tlb_set_satp(struct rv_cpu *cpu, uint64_t satp);
/* mstatus.SUM or MXR changed from `old` to the current value. */
void rv_tlb_sum_mxr_changed(struct rv_cpu *cpu, uint64_t old);
/* The set a fill for privilege `priv` goes to (the current context's, or M's). */
static inline struct rv_tlb_entry *rv_tlb_set(struct rv_cpu *cpu, int priv)
{
    return priv == RV_PRIV_M ? cpu->tlb_m : cpu->tlb_cur->set[priv];
}
/*
 * Records the facts about a fill of entry `idx` of privilege `priv`'s set: `level` of the
 * leaf (0 for a 4 KiB page or a bare translation), `global` for PTE.G, `user` for PTE.U.
 * `fresh` says the entry held nothing for this page before this fill.
 */
void rv_tlb_note_fill(struct rv_cpu *cpu, int priv, unsigned idx, uint64_t va, int level,
                      bool global, bool user, bool fresh);
void rv_tlb_log_stats(const struct rv_cpu *cpu);
/* RAM page `ram_page` now holds decoded code: no entry may write it on the fast path. */
void rv_tlb_revoke_write(struct rv_cpu *cpu, uint64_t ram_page);

/* --- mmu.c --- */
/* These return 0, or -1 with cpu->exc_cause/exc_tval set. */
int rv_mmu_load_slow(struct rv_cpu *cpu, uint64_t va, unsigned size, uint64_t *val);
int rv_mmu_store_slow(struct rv_cpu *cpu, uint64_t va, unsigned size, uint64_t val);
int rv_mmu_fetch_slow(struct rv_cpu *cpu, uint64_t pc, uint32_t *insn);
/*
 * Decoded record for pc: from the decode cache when pc is in a RAM page (which becomes the
 * current code page), else cpu->uncached. NULL with the exception set on a fetch fault.
 */
struct rv_drec *rv_mmu_code_lookup(struct rv_cpu *cpu, uint64_t pc);
/*
 * Fills the fetch TLB entry for pc, as rv_mmu_code_lookup does, without decoding anything:
 * 0, or -1 with the exception set. The entry stays empty for pages outside RAM.
 */
int rv_mmu_fetch_fill(struct rv_cpu *cpu, uint64_t pc);
int rv_mmu_translate(struct rv_cpu *cpu, uint64_t va, enum rv_access acc, uint64_t *pa);
int rv_mmu_phys_read(struct rv_cpu *cpu, uint64_t pa, unsigned size, uint64_t *val,
                     uint64_t va, enum rv_access acc);
int rv_mmu_phys_write(struct rv_cpu *cpu, uint64_t pa, unsigned size, uint64_t val,
                      uint64_t va);

/* --- dcache.c --- */
int rv_dcache_init(struct rv_cpu *cpu);
void rv_dcache_destroy(struct rv_cpu *cpu);
/* Forgets every decoded page (reset, fence.i). */
void rv_dcache_flush(struct rv_cpu *cpu);
/* Decoded records of RAM page `ram_page` (allocating, maybe evicting); never NULL. */
struct rv_drec *rv_dcache_page(struct rv_cpu *cpu, uint64_t ram_page);
/*
 * Makes RAM page `ram_page` a code page without records (stores to it now reach
 * rv_dcache_drop) and returns its slot: valid while map[ram_page] == slot + 1 and the
 * slot's gen is unchanged.
 */
uint32_t rv_dcache_track(struct rv_cpu *cpu, uint64_t ram_page);
/* Forgets the decoded copy of RAM page `ram_page` (its bytes are about to change). */
void rv_dcache_drop(struct rv_cpu *cpu, uint64_t ram_page);

/* True if RAM offset `off` (pa - ram_base, already known to be in RAM) holds decoded code. */
static inline bool rv_dcache_is_code(const struct rv_cpu *cpu, uint64_t off)
{
    return cpu->dc.map[off >> RV_PAGE_SHIFT] != 0;
}

/* A write to RAM offset `off` is about to happen outside the store fast path. */
static inline void rv_dcache_note_write(struct rv_cpu *cpu, uint64_t off)
{
    if (rv_unlikely(rv_dcache_is_code(cpu, off)))
        rv_dcache_drop(cpu, off >> RV_PAGE_SHIFT);
}

/* --- csr.c --- */
int rv_csr_read(struct rv_cpu *cpu, unsigned csr, uint64_t *val);
int rv_csr_write(struct rv_cpu *cpu, unsigned csr, uint64_t val);
/* Recomputes the data TLB set and drops the code page cache after priv/mstatus changes. */
void rv_csr_mode_changed(struct rv_cpu *cpu);
uint64_t rv_csr_mip(const struct rv_cpu *cpu);
/* minstret as software reads it (mcountinhibit.IR and trapped instructions accounted). */
uint64_t rv_csr_minstret(const struct rv_cpu *cpu);
void rv_csr_update_stip(struct rv_cpu *cpu, uint64_t mtime);

/* --- trigger.c --- */
void rv_trig_reset(struct rv_cpu *cpu);
bool rv_trig_is_csr(unsigned csr);
/* tselect, tdata1-3, tinfo: 0, or -1 for a CSR that is not one of them. */
int rv_trig_csr_read(struct rv_cpu *cpu, unsigned csr, uint64_t *val);
int rv_trig_csr_write(struct rv_cpu *cpu, unsigned csr, uint64_t val);
/* The pc's execute triggers: true if one fired (the breakpoint exception is set). */
bool rv_trig_exec(struct rv_cpu *cpu);
int rv_trig_mem_slow(struct rv_cpu *cpu, uint64_t va, unsigned size, unsigned kind);
/*
 * Load (RV_TRIG_LOAD) or store (RV_TRIG_STORE) triggers on an access of `size` bytes at
 * `va`, before it is made: 0, or -1 with the breakpoint exception set.
 */
static inline int rv_trig_mem(struct rv_cpu *cpu, uint64_t va, unsigned size, unsigned kind)
{
    if (rv_likely(!(cpu->trig_armed & kind)))
        return 0;
    return rv_trig_mem_slow(cpu, va, size, kind);
}

/* --- trap.c --- */
void rv_cpu_take_trap(struct rv_cpu *cpu, uint64_t cause, uint64_t tval);
/* Takes the highest-priority pending and enabled interrupt, if any; true if taken. */
bool rv_cpu_take_interrupt(struct rv_cpu *cpu);
void rv_cpu_mret(struct rv_cpu *cpu);
void rv_cpu_sret(struct rv_cpu *cpu);
/* Ends the current inner loop so the run loop looks at interrupts. */
static inline void rv_cpu_kick(struct rv_cpu *cpu)
{
    cpu->irq_check = true;
    cpu->limit = 0;
}
/*
 * After a change that can only make an interrupt that is already pending deliverable (an
 * xRET, enabling MIE/SIE, writing mie, mideleg or a pending bit): kicks if one is pending
 * and enabled in mie. With none, nothing could be taken now, and whatever raises one later
 * kicks then (rv_cpu_set_mip, rv_csr_update_stip). Each kick costs a return from
 * translated code, and xRETs come with every trap.
 */
static inline void rv_cpu_kick_if_pending(struct rv_cpu *cpu)
{
    if ((cpu->mip | (cpu->seip_sw ? MIP_SEIP : 0)) & cpu->mie)
        rv_cpu_kick(cpu);
}

/* --- cpu.c --- */
/* The interpreter: runs until instret reaches limit or something zeroes limit. */
void rv_cpu_interp(struct rv_cpu *cpu);
/*
 * SYSTEM, A, F and D instructions as the interpreter runs them: 0 (continue at npc), 1 (pc
 * already set) or -1 with the exception set. May write x[0]; the caller re-zeroes it.
 */
int rv_cpu_exec_generic(struct rv_cpu *cpu, uint32_t insn, uint32_t raw, uint64_t npc);
/*
 * Decodes one instruction like the interpreter's decode cache does, but with r->h holding
 * the enum rv_op (as an integer) rather than a handler address.
 */
void rv_decode_insn(struct rv_drec *r, uint32_t lo, uint32_t hi);

/* --- decode.c --- */
/* 32-bit equivalent of each 16-bit instruction, 0 for reserved/illegal encodings. */
extern uint32_t rv_rvc_table[65536];
void rv_rvc_init(void);

static inline int rv_data_priv(const struct rv_cpu *cpu)
{
    if (cpu->priv == RV_PRIV_M && (cpu->mstatus & MSTATUS_MPRV))
        return (int)((cpu->mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT);
    return cpu->priv;
}

static inline int rv_raise(struct rv_cpu *cpu, uint64_t cause, uint64_t tval)
{
    cpu->exc_cause = cause;
    cpu->exc_tval = tval;
    return -1;
}

/*
 * The TLB fast paths: one compare and an add; false on a miss (nothing done). Sizes 1, 2,
 * 4, 8; values zero-extended.
 */
static inline bool rv_load_fast(const struct rv_cpu *cpu, uint64_t va, unsigned size,
                                uint64_t *val)
{
    const struct rv_tlb_entry *e = &cpu->dtlb[(va >> RV_PAGE_SHIFT) & (RV_TLB_SIZE - 1)];
    if (e->tag_r != (va & (RV_PAGE_MASK | (size - 1))))
        return false;
    const uint8_t *h = (const uint8_t *)(uintptr_t)(va + e->addend);
    switch (size) {
    case 1: *val = *h; break;
    case 2: { uint16_t v; memcpy(&v, h, 2); *val = v; break; }
    case 4: { uint32_t v; memcpy(&v, h, 4); *val = v; break; }
    default: memcpy(val, h, 8); break;
    }
    return true;
}

/* A hit is never a store into code: code pages have no write tag. */
static inline bool rv_store_fast(const struct rv_cpu *cpu, uint64_t va, unsigned size,
                                 uint64_t val)
{
    const struct rv_tlb_entry *e = &cpu->dtlb[(va >> RV_PAGE_SHIFT) & (RV_TLB_SIZE - 1)];
    if (e->tag_w != (va & (RV_PAGE_MASK | (size - 1))))
        return false;
    uint8_t *h = (uint8_t *)(uintptr_t)(va + e->addend);
    switch (size) {
    case 1: *h = (uint8_t)val; break;
    case 2: { uint16_t v = (uint16_t)val; memcpy(h, &v, 2); break; }
    case 4: { uint32_t v = (uint32_t)val; memcpy(h, &v, 4); break; }
    default: memcpy(h, &val, 8); break;
    }
    return true;
}

static inline int rv_load(struct rv_cpu *cpu, uint64_t va, unsigned size, uint64_t *val)
{
    if (rv_likely(rv_load_fast(cpu, va, size, val)))
        return 0;
    return rv_mmu_load_slow(cpu, va, size, val);
}

static inline int rv_store(struct rv_cpu *cpu, uint64_t va, unsigned size, uint64_t val)
{
    if (rv_likely(rv_store_fast(cpu, va, size, val)))
        return 0;
    return rv_mmu_store_slow(cpu, va, size, val);
}

/*
 * An OP-FP or fused multiply-add instruction (F/D arithmetic, conversions, moves,
 * compares) on the hart's FPU, marking FS Dirty. False, with nothing changed, where it
 * must raise an illegal instruction instead: FS Off, or an encoding or rounding mode the
 * FPU refuses. The FPU never writes x0.
 */
static inline bool rv_fp_arith(struct rv_cpu *cpu, uint32_t insn)
{
    if (rv_unlikely(!(cpu->mstatus & MSTATUS_FS)) ||
        rv_fpu_exec(&cpu->fp, cpu->x, insn) != RV_FPU_OK)
        return false;
    cpu->mstatus |= MSTATUS_FS | MSTATUS_SD;
    return true;
}

#endif

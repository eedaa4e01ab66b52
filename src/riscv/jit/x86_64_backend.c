/*
 * x86-64 backend: a decoded guest block becomes one host function.
 *
 * Conventions inside generated code: RBX holds the struct rv_cpu pointer and RBP
 * cpu->instret as of the running block's start (both callee-saved: helper calls keep them;
 * RBP is stored to cpu->instret before a helper runs and when control returns to C). It
 * lives in a register because blocks chained into a loop would otherwise update it in
 * memory on every pass, a chain of store-to-load forwarding the loop waits on. Guest
 * registers live in cpu->x[]; within a block the ones it uses are held in RDX, RDI and
 * R8-R11, written back lazily (see struct be). RAX, RCX and RSI are scratch. The prologue
 * pushes three registers, which leaves the stack 16-byte aligned at calls, as the SysV ABI
 * wants.
 */
#include "riscv/jit/jit_backend.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#if defined(__x86_64__)

#include "riscv/fpu.h"
#include "riscv/jit/x86_64_emit.h"

#define CPU XE_RBX
#define XOFF(r) ((int32_t)(offsetof(struct rv_cpu, x) + 8 * (size_t)(r)))
#define OFF(field) ((int32_t)offsetof(struct rv_cpu, field))

/* A TLB entry's offset in its table is (va >> (page shift - this)) masked: one shift. */
#define TLB_ENTRY_SHIFT 5
_Static_assert(sizeof(struct rv_tlb_entry) == 1u << TLB_ENTRY_SHIFT, "TLB entry size");

bool jit_backend_available(void)
{
    return true;
}

/*
 * Guest registers held in host registers for the length of a block, written back lazily: a
 * slot is dirty while its host register is newer than cpu->x. Dirty slots are written back
 * before anything that reads cpu->x or may take a trap (helper calls) and before every
 * exit, so what a trap or the next block sees is exact. The host registers are
 * caller-saved: after a call they are loaded again from cpu->x (which also picks up what
 * the helper wrote). The cache starts empty at both entries of a block.
 *
 * Inline fast paths with an out-of-line slow path keep one slot assignment on both paths:
 * every slot is assigned before the branch, the slow path writes back and reloads without
 * changing the assignment, and the fast path may only mark slots dirty (harmless on the
 * slow path, whose registers equal cpu->x when the paths join).
 */
#define NCACHE 6
static const enum xe_reg cache_reg[NCACHE] = {XE_R8, XE_R9, XE_R10, XE_R11, XE_RDI, XE_RDX};

_Static_assert(sizeof(struct jit_jc_entry) == 1u << JIT_JC_SHIFT, "jump cache entry size");

struct be {
    struct xe e;
    uint64_t vpage;            /* the block's guest page */
    uintptr_t exec;            /* host address the code will run at */
    uintptr_t jump_cache;
    uintptr_t tag;             /* for cpu->jit_block, set before helpers and chainable exits */
    const uint8_t *leave;      /* stores RBP to cpu->instret and returns to C */
    const uint8_t *leave_raw;  /* returns to C; a helper has set cpu->instret */
    int8_t guest[NCACHE];      /* guest register held, -1 if none */
    bool dirty[NCACHE];
    bool held[NCACHE];         /* taken as scratch by the instruction being emitted */
    bool reserved[NCACHE];     /* held for the whole block (a loop's, see loop_regs) */
    uint32_t used[NCACHE];     /* for least-recently-used replacement */
    uint32_t clock;
    /* A block whose last branch goes back to its start: see loop_regs(). */
    uint64_t start;
    bool loop;
    bool loop_broken;          /* the body did not keep the head's assignment: emit again */
    const uint8_t *loop_head;
    int8_t head_guest[NCACHE];
    bool head_dirty[NCACHE];
    /* Taken branches before the last instruction, emitted after the body. */
    struct side_exit {
        uint8_t *site;         /* the jcc to patch */
        uint64_t target;
        unsigned n;            /* instructions retired when it is taken */
        int8_t guest[NCACHE];  /* the cache at the branch */
        bool dirty[NCACHE];
    } side[JIT_MAX_INSNS];
    unsigned nside;
    /* Fast paths' ways out (TLB misses and the like), emitted after the body. */
    struct slow_path {
        uint8_t *site[2];      /* the jccs to patch (the second may be NULL) */
        const uint8_t *resume; /* where the fast path goes on */
        uint64_t pc;
        uint32_t info;         /* JIT_INFO */
        uint64_t desc;         /* the cache at the branch (cache_desc) */
        enum stub_kind { STUB_LOAD, STUB_STORE, STUB_GENERIC } kind;
        uint64_t insn_raw;     /* STUB_GENERIC: insn | raw << 32 */
    } slow[JIT_MAX_INSNS];
    unsigned nslow;
    struct jit_stubs stubs;
};

static void writeback(struct be *b, int i)
{
    xe_mov_mr(&b->e, CPU, XOFF(b->guest[i]), cache_reg[i], true);
}

static int cache_find(struct be *b, unsigned g)
{
    for (int i = 0; i < NCACHE; i++) {
        if (b->guest[i] == (int8_t)g) {
            b->used[i] = ++b->clock;
            return i;
        }
    }
    return -1;
}

/*
 * A slot for guest register g (not cached yet), clean and not loaded: the least recently
 * used one that is not held, written back first if dirty. The registers an instruction
 * touched just before are never chosen (at most one slot is held, leaving five).
 */
static int cache_slot(struct be *b, unsigned g)
{
    int best = -1;
    for (int i = 0; i < NCACHE; i++) {
        if (b->held[i])
            continue;
        if (b->guest[i] < 0) {
            best = i;
            break;
        }
        if (best < 0 || b->used[i] < b->used[best])
            best = i;
    }
    if (b->guest[best] >= 0 && b->dirty[best])
        writeback(b, best);
    b->guest[best] = (int8_t)g;
    b->dirty[best] = false;
    b->used[best] = ++b->clock;
    return best;
}

static void cache_clear(struct be *b)
{
    for (int i = 0; i < NCACHE; i++) {
        b->guest[i] = -1;
        b->dirty[i] = false;
        b->held[i] = false;
    }
}

/*
 * Writes every dirty slot back to cpu->x. The slots stay dirty for the code after it: this
 * is for slow paths; the main path uses flush().
 */
static void writeback_all(struct be *b)
{
    for (int i = 0; i < NCACHE; i++) {
        if (b->guest[i] >= 0 && b->dirty[i])
            writeback(b, i);
    }
}

/* After code that wrote every dirty slot back: they are all clean. */
static void mark_clean(struct be *b)
{
    for (int i = 0; i < NCACHE; i++)
        b->dirty[i] = false;
}

static void flush(struct be *b)
{
    writeback_all(b);
    mark_clean(b);
}

/* After a call: the cache registers are gone; load them again from cpu->x. */
static void cache_reload(struct be *b)
{
    for (int i = 0; i < NCACHE; i++) {
        if (b->guest[i] >= 0)
            xe_mov_rm(&b->e, cache_reg[i], CPU, XOFF(b->guest[i]), true);
    }
}

/* Takes host register r as scratch until the next instruction, writing back its guest. */
static void claim(struct be *b, enum xe_reg r)
{
    for (int i = 0; i < NCACHE; i++) {
        if (cache_reg[i] != r)
            continue;
        if (b->guest[i] >= 0 && b->dirty[i])
            writeback(b, i);
        b->guest[i] = -1;
        b->dirty[i] = false;
        b->held[i] = true;
    }
}

/* The host register holding guest register g, loading it into the cache if needed. */
static enum xe_reg greg(struct be *b, unsigned g)
{
    int i = cache_find(b, g);
    if (i < 0) {
        i = cache_slot(b, g);
        xe_mov_rm(&b->e, cache_reg[i], CPU, XOFF(g), true);
    }
    return cache_reg[i];
}

/*
 * The slot guest register g will be written to, not loaded (-1 for x0: its writes go to
 * RAX and nowhere).
 */
static int dst_slot(struct be *b, unsigned g)
{
    if (g == 0 || g >= 32)
        return -1;
    int i = cache_find(b, g);
    return i >= 0 ? i : cache_slot(b, g);
}

/*
 * The host register to write guest register g's new value to, right away: it is marked
 * dirty, so nothing may write back before the caller has written it.
 */
static enum xe_reg gdst(struct be *b, unsigned g)
{
    int i = dst_slot(b, g);
    if (i < 0)
        return XE_RAX;
    b->dirty[i] = true;
    return cache_reg[i];
}

/* dst = guest register g (the low 32 bits, zero-extended, when !w64). */
static void ld(struct be *b, enum xe_reg dst, unsigned g, bool w64)
{
    xe_mov_rr(&b->e, dst, greg(b, g), w64);
}

/* Guest register g = src (all 64 bits). */
static void st(struct be *b, unsigned g, enum xe_reg src)
{
    enum xe_reg d = gdst(b, g);
    if (d != src)
        xe_mov_rr(&b->e, d, src, true);
}

/* cpu->jit_block = this block, for the front end to chain the exit it leaves by. */
static void set_tag(struct be *b)
{
    xe_mov_ri(&b->e, XE_RAX, b->tag);
    xe_mov_mr(&b->e, CPU, OFF(jit_block), XE_RAX, true);
}

/* Before a helper call: cpu->instret as of the block's start. */
static void sync_instret(struct be *b)
{
    xe_mov_mr(&b->e, CPU, OFF(instret), XE_RBP, true);
}

/*
 * With the target pc in RCX (and in cpu->pc, instret counted): jumps to the target's
 * block if the jump cache has it and it is still good (see jit_backend.h), else returns.
 */
static void jump_cached(struct be *b)
{
    struct xe *e = &b->e;
    /* RAX = the jump cache entry. */
    xe_mov_rr(e, XE_RAX, XE_RCX, true);
    xe_shift_ri(e, XE_SHR, XE_RAX, 1, true);
    xe_alu_ri(e, XE_AND, XE_RAX, JIT_JC_SIZE - 1, false);
    xe_shift_ri(e, XE_SHL, XE_RAX, JIT_JC_SHIFT, false);
    xe_mov_ri(e, XE_RDX, b->jump_cache);
    xe_alu_rr(e, XE_ADD, XE_RAX, XE_RDX, true);
    xe_alu_rm(e, XE_CMP, XE_RCX, XE_RAX, (int32_t)offsetof(struct jit_jc_entry, vpc), true);
    uint8_t *miss1 = xe_jcc(e, XE_CC_NE);
    xe_mov_rm(e, XE_RDX, CPU, OFF(code_epoch), true);
    xe_alu_rm(e, XE_CMP, XE_RDX, XE_RAX, (int32_t)offsetof(struct jit_jc_entry, epoch), true);
    uint8_t *miss2 = xe_jcc(e, XE_CC_NE);
    /* RDX = the fetch TLB entry of the pc's page: still that page, same host page? */
    xe_mov_rr(e, XE_RDX, XE_RCX, true);
    xe_shift_ri(e, XE_SHR, XE_RDX, RV_PAGE_SHIFT - TLB_ENTRY_SHIFT, true);
    xe_alu_ri(e, XE_AND, XE_RDX, (RV_TLB_SIZE - 1) << TLB_ENTRY_SHIFT, false);
    xe_alu_rm(e, XE_ADD, XE_RDX, CPU, OFF(itlb), true);
    xe_alu_ri(e, XE_AND, XE_RCX, (int32_t)0xfffff000u, true);
    xe_alu_rm(e, XE_CMP, XE_RCX, XE_RDX, (int32_t)offsetof(struct rv_tlb_entry, tag_x), true);
    uint8_t *miss3 = xe_jcc(e, XE_CC_NE);
    xe_mov_rm(e, XE_RCX, XE_RDX, (int32_t)offsetof(struct rv_tlb_entry, addend), true);
    xe_alu_rm(e, XE_CMP, XE_RCX, XE_RAX, (int32_t)offsetof(struct jit_jc_entry, addend), true);
    uint8_t *miss4 = xe_jcc(e, XE_CC_NE);
    xe_jmp_m(e, XE_RAX, (int32_t)offsetof(struct jit_jc_entry, entry));
    xe_patch(e, miss1);
    xe_patch(e, miss2);
    xe_patch(e, miss3);
    xe_patch(e, miss4);
    xe_jmp_to(e, b->leave);
}

/*
 * Leaves the block for guest address `next` after `n` instructions (the cache written back
 * already). Within the page, the exit is a jump that may later be chained straight to the
 * next block; until then it falls through to recording itself and the block in
 * cpu->jit_exit and cpu->jit_block and returning. Out of the page, it goes through the
 * jump cache.
 */
static void exit_to(struct be *b, uint64_t next, unsigned n)
{
    struct xe *e = &b->e;
    xe_alu_ri(e, XE_ADD, XE_RBP, (int32_t)n, true);
    if ((next & RV_PAGE_MASK) != b->vpage) {
        xe_mov_ri(e, XE_RCX, next);
        xe_mov_mr(e, CPU, OFF(pc), XE_RCX, true);
        jump_cached(b);
        return;
    }
    /* Chained, the next block's own code sets pc if it has to. */
    uint8_t *site = xe_jmp(e);
    xe_patch(e, site); /* falls through until chained */
    xe_mov_ri(e, XE_RCX, next);
    xe_mov_mr(e, CPU, OFF(pc), XE_RCX, true);
    if (site) {
        set_tag(b);
        xe_mov_ri(e, XE_RAX, b->exec + (uintptr_t)(site - e->start));
        xe_mov_mr(e, CPU, OFF(jit_exit), XE_RAX, true);
    }
    xe_jmp_to(e, b->leave);
}

void jit_backend_chain(uint8_t *site, uintptr_t site_exec, uintptr_t target)
{
    int32_t rel = (int32_t)((intptr_t)target - (intptr_t)(site_exec + 4));
    memcpy(site, &rel, 4);
}

void jit_backend_unchain(uint8_t *site, uintptr_t site_exec)
{
    jit_backend_chain(site, site_exec, site_exec + 4); /* unchained, it falls through */
}

/* After a helper call: a nonzero return ends the block at once (the helper set pc). */
static void exit_if_helper_says(struct be *b)
{
    xe_test_rr(&b->e, XE_RAX, XE_RAX, false);
    xe_jcc_to(&b->e, XE_CC_NE, b->leave_raw);
}

static uint32_t info_of(const struct jit_insn *i, unsigned k)
{
    return JIT_INFO(k, i->len, i->rd, i->rs2, i->op);
}

/* RSI = effective address; RAX = its TLB entry (through cpu->dtlb); RCX = page | low bits. */
static void tlb_probe(struct be *b, const struct jit_insn *i, unsigned size)
{
    struct xe *e = &b->e;
    enum xe_reg base = greg(b, i->rs1);
    if (i->imm)
        xe_lea(e, XE_RSI, base, i->imm);
    else
        xe_mov_rr(e, XE_RSI, base, true);
    xe_mov_rr(e, XE_RAX, XE_RSI, true);
    xe_shift_ri(e, XE_SHR, XE_RAX, RV_PAGE_SHIFT - TLB_ENTRY_SHIFT, true);
    xe_alu_ri(e, XE_AND, XE_RAX, (RV_TLB_SIZE - 1) << TLB_ENTRY_SHIFT, false);
    xe_alu_rm(e, XE_ADD, XE_RAX, CPU, OFF(dtlb), true);
    xe_mov_rr(e, XE_RCX, XE_RSI, true);
    /* Sign-extended to ~0xfff | (size - 1): a misaligned address never matches a tag. */
    xe_alu_ri(e, XE_AND, XE_RCX, (int32_t)(0xfffff000u | (size - 1)), true);
}

/*
 * The cache as a slow path's stub sees it (see emit_stub): bits 0-5 the dirty slots, 8-13
 * the slots holding a guest register, 16 + 5i the register slot i holds.
 */
static uint64_t cache_desc(const struct be *b)
{
    uint64_t d = 0;
    for (int i = 0; i < NCACHE; i++) {
        if (b->guest[i] < 0)
            continue;
        d |= 1ull << (8 + i) | (uint64_t)(b->guest[i] & 31) << (16 + 5 * i);
        if (b->dirty[i])
            d |= 1ull << i;
    }
    return d;
}

/* A stub call for instruction k, with the cache as it is now. */
static struct slow_path stub_call_for(const struct be *b, const struct jit_insn *i,
                                      unsigned k, enum stub_kind kind)
{
    return (struct slow_path){.pc = i->pc, .info = info_of(i, k), .desc = cache_desc(b),
                              .kind = kind, .insn_raw = i->insn | (uint64_t)i->raw << 32};
}

/*
 * A fast path's way out, emitted after the block's body (see emit_slow_paths), with the
 * cache as it is now; the caller sets resume once the fast path is emitted.
 */
static struct slow_path *add_slow_path(struct be *b, uint8_t *site, const struct jit_insn *i,
                                       unsigned k, enum stub_kind kind)
{
    struct slow_path *sp = &b->slow[b->nslow++];
    *sp = stub_call_for(b, i, k, kind);
    sp->site[0] = site;
    return sp;
}

/*
 * TLB hit inline; on a miss the slow path (after the block) calls the helper through a
 * shared stub, which writes the cache back first (the helper may trap) and reloads it
 * after (the helper wrote rd in cpu->x). rd's slot is taken before the branch, so both
 * paths end with the same assignment.
 */
static void emit_load(struct be *b, const struct jit_insn *i, unsigned k, unsigned size,
                      bool sign)
{
    struct xe *e = &b->e;
    tlb_probe(b, i, size);
    int d = dst_slot(b, i->rd);
    xe_alu_rm(e, XE_CMP, XE_RCX, XE_RAX, (int32_t)offsetof(struct rv_tlb_entry, tag_r), true);
    struct slow_path *sp = add_slow_path(b, xe_jcc(e, XE_CC_NE), i, k, STUB_LOAD);
    xe_alu_rm(e, XE_ADD, XE_RSI, XE_RAX, (int32_t)offsetof(struct rv_tlb_entry, addend), true);
    xe_load(e, d < 0 ? XE_RAX : cache_reg[d], XE_RSI, 0, size, sign);
    sp->resume = e->p;
    if (d >= 0)
        b->dirty[d] = true;
}

static void emit_store(struct be *b, const struct jit_insn *i, unsigned k, unsigned size)
{
    struct xe *e = &b->e;
    enum xe_reg val = greg(b, i->rs2);
    tlb_probe(b, i, size);
    xe_alu_rm(e, XE_CMP, XE_RCX, XE_RAX, (int32_t)offsetof(struct rv_tlb_entry, tag_w), true);
    struct slow_path *sp = add_slow_path(b, xe_jcc(e, XE_CC_NE), i, k, STUB_STORE);
    xe_alu_rm(e, XE_ADD, XE_RSI, XE_RAX, (int32_t)offsetof(struct rv_tlb_entry, addend), true);
    xe_store(e, XE_RSI, 0, val, size);
    sp->resume = e->p;
}

/*
 * Calls a stub for the instruction `sp` describes: cpu->pc, then RAX = the cache's
 * description, RCX = info and RSI = the address (a load or store: still there from the
 * probe) or the instruction (generic). Leaves the block if the helper says so.
 */
static void emit_stub_call(struct be *b, const struct slow_path *sp)
{
    struct xe *e = &b->e;
    if ((int64_t)sp->pc == (int32_t)sp->pc) {
        xe_mov_mi(e, CPU, OFF(pc), (int32_t)sp->pc);
    } else {
        xe_mov_ri(e, XE_RCX, sp->pc);
        xe_mov_mr(e, CPU, OFF(pc), XE_RCX, true);
    }
    xe_mov_ri(e, XE_RAX, sp->desc);
    xe_mov_ri(e, XE_RCX, sp->info);
    uintptr_t stub = b->stubs.load;
    if (sp->kind == STUB_STORE) {
        stub = b->stubs.store;
    } else if (sp->kind == STUB_GENERIC) {
        stub = b->stubs.generic;
        xe_mov_ri(e, XE_RSI, sp->insn_raw);
    }
    xe_call_rel(e, b->exec + xe_size(e), stub);
    exit_if_helper_says(b);
}

/* The slow paths, after the body. */
static void emit_slow_paths(struct be *b)
{
    for (unsigned n = 0; n < b->nslow; n++) {
        const struct slow_path *sp = &b->slow[n];
        xe_patch(&b->e, sp->site[0]);
        xe_patch(&b->e, sp->site[1]);
        emit_stub_call(b, sp);
        xe_jmp_to(&b->e, sp->resume);
    }
}

/*
 * The interpreter's code for the whole instruction, called in line through the generic
 * stub: every slot is written back and reloaded, so all are clean after it.
 */
static void emit_generic(struct be *b, const struct jit_insn *i, unsigned k)
{
    struct slow_path sp = stub_call_for(b, i, k, STUB_GENERIC);
    emit_stub_call(b, &sp);
    mark_clean(b);
}

/*
 * In a stub, with the cache's description in RAX (see cache_desc): stores every dirty slot
 * to cpu->x, or loads every held slot from it. RCX is scratch.
 */
static void stub_slots(struct xe *e, bool load)
{
    for (int i = 0; i < NCACHE; i++) {
        if (load)
            xe_test_ah(e, (uint8_t)(1u << i));
        else
            xe_test_al(e, (uint8_t)(1u << i));
        uint8_t *skip = xe_jcc(e, XE_CC_E);
        xe_mov_rr(e, XE_RCX, XE_RAX, true);
        xe_shift_ri(e, XE_SHR, XE_RCX, (uint8_t)(16 + 5 * i), true);
        xe_alu_ri(e, XE_AND, XE_RCX, 31, false);
        if (load)
            xe_mov_rm_idx8(e, cache_reg[i], CPU, XE_RCX, XOFF(0));
        else
            xe_mov_mr_idx8(e, CPU, XE_RCX, XOFF(0), cache_reg[i]);
        xe_patch(e, skip);
    }
}

/*
 * The shared slow path of loads, stores or generic instructions, called as
 * emit_stub_call describes: writes the dirty slots back, stores RBP to cpu->instret,
 * calls the helper (rv_jit_load_slow or rv_jit_store_slow with the address and cpu->pc,
 * rv_jit_generic with cpu->pc and the instruction) and, unless it says the block must
 * end, loads the slots again from cpu->x. Returns the helper's answer in EAX. The three
 * pushes keep the stack 16-byte aligned at the call.
 */
static void emit_stub(struct xe *e, const void *helper, bool generic)
{
    xe_push(e, XE_RSI);
    xe_push(e, XE_RCX);
    xe_push(e, XE_RAX);
    stub_slots(e, false);
    xe_mov_mr(e, CPU, OFF(instret), XE_RBP, true);
    xe_mov_rr(e, XE_RDI, CPU, true);
    if (generic) { /* (cpu, pc, info, insn_raw) */
        xe_mov_rm(e, XE_RSI, CPU, OFF(pc), true);
        xe_mov_rm(e, XE_RDX, XE_RSP, 8, false);
        xe_mov_rm(e, XE_RCX, XE_RSP, 16, true);
    } else { /* (cpu, va, pc, info) */
        xe_mov_rm(e, XE_RSI, XE_RSP, 16, true);
        xe_mov_rm(e, XE_RDX, CPU, OFF(pc), true);
        xe_mov_rm(e, XE_RCX, XE_RSP, 8, false);
    }
    xe_call(e, helper);
    xe_test_rr(e, XE_RAX, XE_RAX, false);
    uint8_t *out = xe_jcc(e, XE_CC_NE);
    xe_mov_rm(e, XE_RAX, XE_RSP, 0, true);
    stub_slots(e, true);
    xe_alu_rr(e, XE_XOR, XE_RAX, XE_RAX, false);
    xe_patch(e, out);
    xe_alu_ri(e, XE_ADD, XE_RSP, 24, true);
    xe_ret(e);
}

long jit_backend_stubs(uint8_t *buf, size_t cap, uintptr_t exec, struct jit_stubs *out)
{
    struct xe e;
    xe_init(&e, buf, cap);
    out->load = exec + xe_size(&e);
    emit_stub(&e, (const void *)rv_jit_load_slow, false);
    while (xe_size(&e) % 16)
        xe_byte(&e, 0xcc);
    out->store = exec + xe_size(&e);
    emit_stub(&e, (const void *)rv_jit_store_slow, false);
    while (xe_size(&e) % 16)
        xe_byte(&e, 0xcc);
    out->generic = exec + xe_size(&e);
    emit_stub(&e, (const void *)rv_jit_generic, true);
    return e.overflow ? -ENOSPC : (long)xe_size(&e);
}

/*
 * rd = rs1 OP rs2 for a two-operand x86 ALU instruction, in place when rd is a source.
 * The W forms work on 32 bits and sign-extend the result.
 */
static void alu_rr(struct be *b, const struct jit_insn *i, enum xe_alu op, bool w64,
                   bool commutes)
{
    struct xe *e = &b->e;
    enum xe_reg s1 = greg(b, i->rs1), s2 = greg(b, i->rs2), d = gdst(b, i->rd);
    if (d == s2 && d != s1) {
        if (commutes) {
            xe_alu_rr(e, op, d, s1, w64);
        } else {
            xe_mov_rr(e, XE_RAX, s1, w64);
            xe_alu_rr(e, op, XE_RAX, s2, w64);
            xe_mov_rr(e, d, XE_RAX, true);
        }
    } else {
        if (d != s1)
            xe_mov_rr(e, d, s1, w64);
        xe_alu_rr(e, op, d, s2, w64);
    }
    if (!w64)
        xe_movsxd(e, d, d);
}

static void alu_ri(struct be *b, const struct jit_insn *i, enum xe_alu op, bool w64)
{
    struct xe *e = &b->e;
    enum xe_reg s1 = greg(b, i->rs1), d = gdst(b, i->rd);
    if (op == XE_ADD && d != s1) {
        if (i->imm)
            xe_lea(e, d, s1, i->imm); /* the low 32 bits are the same for ADDIW */
        else
            xe_mov_rr(e, d, s1, w64);
    } else {
        if (d != s1)
            xe_mov_rr(e, d, s1, w64);
        if (i->imm || op == XE_AND)
            xe_alu_ri(e, op, d, i->imm, w64);
    }
    if (!w64)
        xe_movsxd(e, d, d);
}

static void shift_ri(struct be *b, const struct jit_insn *i, enum xe_shift op, bool w64)
{
    struct xe *e = &b->e;
    enum xe_reg s1 = greg(b, i->rs1), d = gdst(b, i->rd);
    if (d != s1)
        xe_mov_rr(e, d, s1, w64);
    xe_shift_ri(e, op, d, (uint8_t)i->imm, w64);
    if (!w64)
        xe_movsxd(e, d, d);
}

/* x86 masks the count in CL to 63 (64-bit) or 31 (32-bit), as RISC-V does. */
static void shift_rr(struct be *b, const struct jit_insn *i, enum xe_shift op, bool w64)
{
    struct xe *e = &b->e;
    ld(b, XE_RCX, i->rs2, false);
    enum xe_reg s1 = greg(b, i->rs1), d = gdst(b, i->rd);
    if (d != s1)
        xe_mov_rr(e, d, s1, w64);
    xe_shift_rcl(e, op, d, w64);
    if (!w64)
        xe_movsxd(e, d, d);
}

/* rd = (rs1 <cc> rs2 or imm) ? 1 : 0. */
static void set_cc(struct be *b, const struct jit_insn *i, enum xe_cc cc, bool imm)
{
    struct xe *e = &b->e;
    enum xe_reg s1 = greg(b, i->rs1);
    enum xe_reg s2 = imm ? XE_RAX : greg(b, i->rs2);
    xe_alu_rr(e, XE_XOR, XE_RCX, XE_RCX, false); /* before the compare: it sets flags */
    if (imm)
        xe_alu_ri(e, XE_CMP, s1, i->imm, true);
    else
        xe_alu_rr(e, XE_CMP, s1, s2, true);
    xe_setcc(e, cc, XE_RCX);
    st(b, i->rd, XE_RCX);
}

/* A pure function called inline: the cache is written back and reloaded around it. */
static void muldiv_call(struct be *b, const struct jit_insn *i)
{
    enum xe_reg s1 = greg(b, i->rs1), s2 = greg(b, i->rs2);
    flush(b);
    xe_mov_rr(&b->e, XE_RSI, s2, true); /* before RDI and RDX, which may hold s1 or s2 */
    xe_mov_rr(&b->e, XE_RAX, s1, true);
    xe_mov_rr(&b->e, XE_RDI, XE_RAX, true);
    xe_mov_ri(&b->e, XE_RDX, i->op);
    xe_call(&b->e, (const void *)rv_jit_muldiv);
    cache_reload(b);
    st(b, i->rd, XE_RAX);
}

/*
 * Division inline. x86 faults where RISC-V defines results: x/0 gives all ones (quotient)
 * or x (remainder); x/-1 is done as a negation (so MIN/-1 wraps to MIN) with remainder 0.
 * The W forms work on 32 bits and sign-extend the result.
 */
static void emit_divrem(struct be *b, const struct jit_insn *i)
{
    struct xe *e = &b->e;
    unsigned op = i->op;
    bool w64 = op == RV_OP_DIV || op == RV_OP_DIVU || op == RV_OP_REM || op == RV_OP_REMU;
    bool sign = op == RV_OP_DIV || op == RV_OP_REM || op == RV_OP_DIVW || op == RV_OP_REMW;
    bool rem = op == RV_OP_REM || op == RV_OP_REMU || op == RV_OP_REMW || op == RV_OP_REMUW;
    claim(b, XE_RDX); /* the dividend's upper half and the remainder */
    ld(b, XE_RAX, i->rs1, w64);
    ld(b, XE_RCX, i->rs2, w64);
    xe_test_rr(e, XE_RCX, XE_RCX, w64);
    uint8_t *zero = xe_jcc(e, XE_CC_E);
    uint8_t *minus1 = NULL;
    if (sign) {
        xe_alu_ri(e, XE_CMP, XE_RCX, -1, w64);
        minus1 = xe_jcc(e, XE_CC_E);
        xe_sign_extend_ax(e, w64);
    } else {
        xe_alu_rr(e, XE_XOR, XE_RDX, XE_RDX, false);
    }
    xe_div_r(e, sign, XE_RCX, w64);
    if (rem)
        xe_mov_rr(e, XE_RAX, XE_RDX, w64);
    uint8_t *done1 = xe_jmp(e);
    xe_patch(e, zero);
    if (!rem)
        xe_mov_ri(e, XE_RAX, UINT64_MAX); /* the remainder is the dividend, in RAX already */
    uint8_t *done2 = NULL;
    if (sign) {
        done2 = xe_jmp(e);
        xe_patch(e, minus1);
        if (rem)
            xe_alu_rr(e, XE_XOR, XE_RAX, XE_RAX, false);
        else
            xe_neg(e, XE_RAX, w64);
    }
    xe_patch(e, done1);
    if (done2)
        xe_patch(e, done2);
    if (!w64)
        xe_movsxd(e, XE_RAX, XE_RAX);
    st(b, i->rd, XE_RAX);
}

/*
 * The branch that closes a loop block, flags set: not taken, the block leaves for `next`;
 * taken, it goes round again from the loop head with the guest registers still in host
 * registers, as long as the whole block fits the budget (else it writes them back and
 * leaves with pc at its start, as a chain entry would). The head's assignment must be the
 * one the body ends with; when it is not, the block is emitted again without the loop.
 */
static void loop_back(struct be *b, enum xe_cc cc, uint64_t next, unsigned n)
{
    struct xe *e = &b->e;
    for (int s = 0; s < NCACHE; s++) {
        if (b->guest[s] != b->head_guest[s] || (b->dirty[s] && !b->head_dirty[s]))
            b->loop_broken = true;
    }
    uint8_t *taken = xe_jcc(e, cc);
    writeback_all(b);
    exit_to(b, next, n);
    xe_patch(e, taken);
    xe_alu_ri(e, XE_ADD, XE_RBP, (int32_t)n, true);
    xe_lea(e, XE_RAX, XE_RBP, (int32_t)n);
    xe_alu_rm(e, XE_CMP, XE_RAX, CPU, OFF(limit), true);
    xe_jcc_to(e, XE_CC_BE, b->loop_head);
    writeback_all(b);
    xe_mov_ri(e, XE_RCX, b->start);
    xe_mov_mr(e, CPU, OFF(pc), XE_RCX, true);
    xe_jmp_to(e, b->leave);
}

/*
 * A conditional branch. The last instruction of a block leaves it either way; one before
 * that leaves it when taken (a side exit, emitted after the block's body with the cache
 * as it is here) and goes on in the block when not. Returns whether the block ended.
 */
static bool emit_branch(struct be *b, const struct jit_insn *i, unsigned k, unsigned n,
                        enum xe_cc cc)
{
    enum xe_reg s1 = greg(b, i->rs1);
    if (i->rs2 == 0) {
        xe_alu_ri(&b->e, XE_CMP, s1, 0, true);
    } else {
        enum xe_reg s2 = greg(b, i->rs2);
        xe_alu_rr(&b->e, XE_CMP, s1, s2, true);
    }
    uint64_t target = i->pc + (uint64_t)(int64_t)i->imm;
    if (k + 1 < n) {
        struct side_exit *x = &b->side[b->nside++];
        x->site = xe_jcc(&b->e, cc);
        x->target = target;
        x->n = k + 1;
        memcpy(x->guest, b->guest, sizeof(x->guest));
        memcpy(x->dirty, b->dirty, sizeof(x->dirty));
        return false;
    }
    if (b->loop && target == b->start) {
        loop_back(b, cc, i->pc + i->len, n);
        return true;
    }
    flush(b); /* movs only: the flags survive */
    uint8_t *taken = xe_jcc(&b->e, cc);
    exit_to(b, i->pc + i->len, n);
    xe_patch(&b->e, taken);
    exit_to(b, target, n);
    return true;
}

/* The side exits, after the body: each writes back what was dirty at its branch. */
static void emit_side_exits(struct be *b)
{
    for (unsigned x = 0; x < b->nside; x++) {
        const struct side_exit *se = &b->side[x];
        xe_patch(&b->e, se->site);
        for (int i = 0; i < NCACHE; i++) {
            if (se->guest[i] >= 0 && se->dirty[i])
                xe_mov_mr(&b->e, CPU, XOFF(se->guest[i]), cache_reg[i], true);
        }
        exit_to(b, se->target, se->n);
    }
}

/*
 * The interpreter's code for the whole instruction, as a call (see rv_jit_generic); the
 * cache written back already.
 */
static void call_generic(struct be *b, const struct jit_insn *i, unsigned k, const void *fn)
{
    sync_instret(b);
    xe_mov_rr(&b->e, XE_RDI, CPU, true);
    xe_mov_ri(&b->e, XE_RSI, i->pc);
    xe_mov_ri(&b->e, XE_RDX, info_of(i, k));
    xe_mov_ri(&b->e, XE_RCX, i->insn | (uint64_t)i->raw << 32);
    xe_call(&b->e, fn);
}

#define FOFF(r) ((int32_t)(offsetof(struct rv_cpu, fp.f) + 8 * (size_t)(r)))

/*
 * FLW, FLD, FSW, FSD: the TLB fast path of integer loads and stores, while mstatus.FS allows
 * it without a change (a load needs FS Dirty already, since it would make it so; a store
 * needs FS not Off). Anything else (FS, a TLB miss, a fault, a store into code) runs the
 * whole instruction in the interpreter's code.
 */
static void emit_fp_mem(struct be *b, const struct jit_insn *i, unsigned k)
{
    struct xe *e = &b->e;
    bool load = (i->insn & 0x7f) == 0x07;
    unsigned size = ((i->insn >> 12) & 7) == 2 ? 4 : 8;
    unsigned freg = load ? (i->insn >> 7) & 31 : (i->insn >> 20) & 31;
    struct jit_insn a = *i;
    a.rs1 = (uint8_t)((i->insn >> 15) & 31);
    a.imm = load ? (int32_t)i->insn >> 20
                 : ((int32_t)(i->insn & 0xfe000000u) >> 20) | (int32_t)((i->insn >> 7) & 31);
    claim(b, XE_RDX);
    tlb_probe(b, &a, size);
    xe_mov_rm(e, XE_RDX, CPU, OFF(mstatus), false);
    xe_alu_ri(e, XE_AND, XE_RDX, (int32_t)MSTATUS_FS, false);
    if (load)
        xe_alu_ri(e, XE_CMP, XE_RDX, (int32_t)MSTATUS_FS, false);
    struct slow_path *sp = add_slow_path(b, xe_jcc(e, load ? XE_CC_NE : XE_CC_E), i, k,
                                         STUB_GENERIC);
    xe_alu_rm(e, XE_CMP, XE_RCX, XE_RAX,
              (int32_t)(load ? offsetof(struct rv_tlb_entry, tag_r)
                             : offsetof(struct rv_tlb_entry, tag_w)), true);
    sp->site[1] = xe_jcc(e, XE_CC_NE);
    xe_alu_rm(e, XE_ADD, XE_RSI, XE_RAX, (int32_t)offsetof(struct rv_tlb_entry, addend), true);
    if (load) {
        xe_load(e, XE_RAX, XE_RSI, 0, size, false);
        if (size == 4) { /* NaN-boxed */
            xe_mov_ri(e, XE_RDX, 0xffffffff00000000ull);
            xe_alu_rr(e, XE_OR, XE_RAX, XE_RDX, true);
        }
        xe_mov_mr(e, CPU, FOFF(freg), XE_RAX, true);
    } else {
        xe_mov_rm(e, XE_RAX, CPU, FOFF(freg), true);
        xe_store(e, XE_RSI, 0, XE_RAX, size);
    }
    sp->resume = e->p;
}

/* The AMOs emit_amo does inline: swap, add, xor, and, or (word or doubleword). */
static bool amo_inline(uint32_t insn, enum xe_alu *op)
{
    unsigned f3 = (insn >> 12) & 7;
    if (f3 != 2 && f3 != 3)
        return false;
    switch (insn >> 27) {
    case 0x00: *op = XE_ADD; return true;
    case 0x01: *op = XE_ADD; return true; /* swap: no op (see emit_amo) */
    case 0x04: *op = XE_XOR; return true;
    case 0x0c: *op = XE_AND; return true;
    case 0x08: *op = XE_OR; return true;
    default: return false;
    }
}

/*
 * An AMO on the TLB fast path when its entry allows both reading and writing (as the
 * interpreter's amo_host): the old value to rd, the new one stored. One hart, so no host
 * atomics are needed; aq and rl order nothing more. Anything else (a miss, misalignment,
 * MMIO, a trigger armed, which keeps tags out of the TLB) runs the interpreter's code.
 * Returns false for AMOs it does not cover (LR, SC, min and max).
 */
static bool emit_amo(struct be *b, const struct jit_insn *i, unsigned k)
{
    struct xe *e = &b->e;
    uint32_t insn = i->insn;
    enum xe_alu op;
    if (!amo_inline(insn, &op))
        return false;
    bool swap = (insn >> 27) == 0x01, w64 = ((insn >> 12) & 7) == 3;
    unsigned size = w64 ? 8 : 4;
    enum xe_reg src = greg(b, (insn >> 20) & 31);
    struct jit_insn a = *i;
    a.rs1 = (uint8_t)((insn >> 15) & 31);
    a.imm = 0;
    tlb_probe(b, &a, size);
    int d = dst_slot(b, (insn >> 7) & 31);
    xe_alu_rm(e, XE_CMP, XE_RCX, XE_RAX, (int32_t)offsetof(struct rv_tlb_entry, tag_r), true);
    struct slow_path *sp = add_slow_path(b, xe_jcc(e, XE_CC_NE), i, k, STUB_GENERIC);
    xe_alu_rm(e, XE_CMP, XE_RCX, XE_RAX, (int32_t)offsetof(struct rv_tlb_entry, tag_w), true);
    sp->site[1] = xe_jcc(e, XE_CC_NE);
    xe_alu_rm(e, XE_ADD, XE_RSI, XE_RAX, (int32_t)offsetof(struct rv_tlb_entry, addend), true);
    xe_load(e, XE_RCX, XE_RSI, 0, size, true); /* old, sign-extended for .w */
    xe_mov_rr(e, XE_RAX, swap ? src : XE_RCX, true);
    if (!swap)
        xe_alu_rr(e, op, XE_RAX, src, w64);
    xe_store(e, XE_RSI, 0, XE_RAX, size);
    if (d >= 0)
        xe_mov_rr(e, cache_reg[d], XE_RCX, true);
    sp->resume = e->p;
    if (d >= 0)
        b->dirty[d] = true;
    return true;
}

/*
 * F/D arithmetic, conversions, moves and compares: the FPU called directly. When it cannot
 * finish the instruction (FS Off, an illegal encoding or rounding mode), the interpreter's
 * code runs it and raises the exception. The FPU reads and writes integer registers too
 * (moves, conversions, compares): the cache is written back before and reloaded after,
 * but stays marked as it was (see struct be); on the main path, flush() first.
 */
static void emit_fp_arith(struct be *b, const struct jit_insn *i, unsigned k)
{
    struct xe *e = &b->e;
    writeback_all(b);
    xe_mov_rr(e, XE_RDI, CPU, true);
    xe_mov_ri(e, XE_RSI, i->insn);
    xe_call(e, (const void *)rv_jit_fp);
    xe_test_rr(e, XE_RAX, XE_RAX, false);
    uint8_t *done = xe_jcc(e, XE_CC_E);
    call_generic(b, i, k, (const void *)rv_jit_generic);
    exit_if_helper_says(b);
    xe_patch(e, done);
    cache_reload(b);
}

/*
 * Double-precision add, subtract, multiply, divide, square root and the four fused
 * multiply-adds as host SSE/FMA3 instructions, on the same terms as the FPU's own host
 * shortcut (fpu.c): round to nearest even (static, or dynamic with frm 0), NX already set,
 * and a result that is normal and at least twice the smallest normal. Operands need no
 * check: a NaN or an infinity in gives a NaN or an infinity out, and subnormals are exact
 * on an IEEE host. FS must be Dirty already (nothing to mark). Anything else, including
 * an exact zero result, takes the FPU call after it. Returns false for instructions it
 * does not cover.
 */
static bool host_fp_ok(bool fma)
{
    return rv_fpu_host_is_ieee() && (!fma || __builtin_cpu_supports("fma"));
}

#define FFLAGS_OFF ((int32_t)offsetof(struct rv_cpu, fp.fflags))
#define FRM_OFF ((int32_t)offsetof(struct rv_cpu, fp.frm))

static bool emit_fp_inline(struct be *b, const struct jit_insn *i, unsigned k)
{
    struct xe *e = &b->e;
    uint32_t insn = i->insn;
    unsigned major = insn & 0x7f, rm = (insn >> 12) & 7, f7 = insn >> 25;
    unsigned rd = (insn >> 7) & 31, rs1 = (insn >> 15) & 31, rs2 = (insn >> 20) & 31;
    int sd_op = -1;
    enum xe_fma fma_op = XE_FMADD;
    bool fma = major != 0x53;

    if (rm != 0 && rm != 7)
        return false;
    if (fma) {
        if ((f7 & 3) != 1) /* double only */
            return false;
        fma_op = major == 0x43 ? XE_FMADD : major == 0x47 ? XE_FMSUB
               : major == 0x4b ? XE_FNMADD : XE_FNMSUB; /* fnmsub: -(a*b)+c; fnmadd: -(a*b)-c */
    } else {
        switch (f7) {
        case 0x01: sd_op = XE_SD_ADD; break;
        case 0x05: sd_op = XE_SD_SUB; break;
        case 0x09: sd_op = XE_SD_MUL; break;
        case 0x0d: sd_op = XE_SD_DIV; break;
        case 0x2d: sd_op = rs2 == 0 ? XE_SD_SQRT : -1; break;
        default: break;
        }
        if (sd_op < 0)
            return false;
    }
    if (!host_fp_ok(fma))
        return false;
    claim(b, XE_RDX);

    uint8_t *slow[5];
    unsigned ns = 0;
    xe_mov_rm(e, XE_RDX, CPU, FFLAGS_OFF, false);
    xe_alu_ri(e, XE_AND, XE_RDX, 1, false); /* NX */
    slow[ns++] = xe_jcc(e, XE_CC_E);
    if (rm == 7) {
        xe_mov_rm(e, XE_RDX, CPU, FRM_OFF, false);
        xe_test_rr(e, XE_RDX, XE_RDX, false);
        slow[ns++] = xe_jcc(e, XE_CC_NE);
    }
    xe_mov_rm(e, XE_RDX, CPU, OFF(mstatus), false);
    xe_alu_ri(e, XE_AND, XE_RDX, (int32_t)MSTATUS_FS, false);
    xe_alu_ri(e, XE_CMP, XE_RDX, (int32_t)MSTATUS_FS, false);
    slow[ns++] = xe_jcc(e, XE_CC_NE);
    unsigned res = 0;
    if (fma) {
        xe_sd_m(e, XE_SD_LOAD, 0, CPU, FOFF(rs1));
        xe_sd_m(e, XE_SD_LOAD, 1, CPU, FOFF(rs2));
        xe_sd_m(e, XE_SD_LOAD, 2, CPU, FOFF(insn >> 27));
        xe_fma231sd(e, fma_op, 2, 0, 1);
        res = 2;
    } else if (sd_op == XE_SD_SQRT) {
        xe_sd_m(e, XE_SD_SQRT, 0, CPU, FOFF(rs1));
    } else {
        xe_sd_m(e, XE_SD_LOAD, 0, CPU, FOFF(rs1));
        xe_sd_m(e, (enum xe_sd)sd_op, 0, CPU, FOFF(rs2));
    }
    /* Biased exponent in 2..0x7fe, or the FPU decides. */
    xe_movq_from_xmm(e, XE_RAX, res);
    xe_mov_rr(e, XE_RDX, XE_RAX, true);
    xe_shift_ri(e, XE_SHR, XE_RDX, 52, true);
    xe_alu_ri(e, XE_AND, XE_RDX, 0x7ff, false);
    xe_alu_ri(e, XE_SUB, XE_RDX, 2, false);
    xe_alu_ri(e, XE_CMP, XE_RDX, 0x7fc, false);
    slow[ns++] = xe_jcc(e, XE_CC_A);
    xe_mov_mr(e, CPU, FOFF(rd), XE_RAX, true);
    uint8_t *done = xe_jmp(e);
    for (unsigned n = 0; n < ns; n++)
        xe_patch(e, slow[n]);
    emit_fp_arith(b, i, k);
    xe_patch(e, done);
    return true;
}


/* Emits instruction k of n; returns true if it ended the block. */
static bool emit_insn(struct be *b, const struct jit_insn *i, unsigned k, unsigned n)
{
    struct xe *e = &b->e;
    switch (i->op) {
    case RV_OP_NOP:
    case RV_OP_FENCE_I: /* stores into code already end the block that holds it */
        return false;
    case RV_OP_LUI:
        xe_mov_ri(e, gdst(b, i->rd), (uint64_t)(int64_t)i->imm);
        return false;
    case RV_OP_AUIPC:
        xe_mov_ri(e, gdst(b, i->rd), i->pc + (uint64_t)(int64_t)i->imm);
        return false;
    case RV_OP_JAL:
        xe_mov_ri(e, gdst(b, i->rd), i->pc + i->len);
        flush(b);
        exit_to(b, i->pc + (uint64_t)(int64_t)i->imm, n);
        return true;
    case RV_OP_JALR: {
        /* The target first: rd may be rs1. */
        enum xe_reg base = greg(b, i->rs1);
        if (i->imm)
            xe_lea(e, XE_RCX, base, i->imm);
        else
            xe_mov_rr(e, XE_RCX, base, true);
        xe_alu_ri(e, XE_AND, XE_RCX, -2, true);
        xe_mov_ri(e, gdst(b, i->rd), i->pc + i->len);
        flush(b);
        xe_mov_mr(e, CPU, OFF(pc), XE_RCX, true);
        xe_alu_ri(e, XE_ADD, XE_RBP, (int32_t)n, true);
        jump_cached(b);
        return true;
    }
    case RV_OP_BEQ: return emit_branch(b, i, k, n, XE_CC_E);
    case RV_OP_BNE: return emit_branch(b, i, k, n, XE_CC_NE);
    case RV_OP_BLT: return emit_branch(b, i, k, n, XE_CC_L);
    case RV_OP_BGE: return emit_branch(b, i, k, n, XE_CC_GE);
    case RV_OP_BLTU: return emit_branch(b, i, k, n, XE_CC_B);
    case RV_OP_BGEU: return emit_branch(b, i, k, n, XE_CC_AE);
    case RV_OP_LB: emit_load(b, i, k, 1, true); return false;
    case RV_OP_LH: emit_load(b, i, k, 2, true); return false;
    case RV_OP_LW: emit_load(b, i, k, 4, true); return false;
    case RV_OP_LD: emit_load(b, i, k, 8, false); return false;
    case RV_OP_LBU: emit_load(b, i, k, 1, false); return false;
    case RV_OP_LHU: emit_load(b, i, k, 2, false); return false;
    case RV_OP_LWU: emit_load(b, i, k, 4, false); return false;
    case RV_OP_SB: emit_store(b, i, k, 1); return false;
    case RV_OP_SH: emit_store(b, i, k, 2); return false;
    case RV_OP_SW: emit_store(b, i, k, 4); return false;
    case RV_OP_SD: emit_store(b, i, k, 8); return false;
    case RV_OP_ADDI:
        if (i->rs1 == 0) {
            xe_mov_ri(e, gdst(b, i->rd), (uint64_t)(int64_t)i->imm);
            return false;
        }
        alu_ri(b, i, XE_ADD, true);
        return false;
    case RV_OP_SLTI: set_cc(b, i, XE_CC_L, true); return false;
    case RV_OP_SLTIU: set_cc(b, i, XE_CC_B, true); return false;
    case RV_OP_XORI: alu_ri(b, i, XE_XOR, true); return false;
    case RV_OP_ORI: alu_ri(b, i, XE_OR, true); return false;
    case RV_OP_ANDI: alu_ri(b, i, XE_AND, true); return false;
    case RV_OP_SLLI: shift_ri(b, i, XE_SHL, true); return false;
    case RV_OP_SRLI: shift_ri(b, i, XE_SHR, true); return false;
    case RV_OP_SRAI: shift_ri(b, i, XE_SAR, true); return false;
    case RV_OP_ADDIW: alu_ri(b, i, XE_ADD, false); return false;
    case RV_OP_SLLIW: shift_ri(b, i, XE_SHL, false); return false;
    case RV_OP_SRLIW: shift_ri(b, i, XE_SHR, false); return false;
    case RV_OP_SRAIW: shift_ri(b, i, XE_SAR, false); return false;
    case RV_OP_ADD: alu_rr(b, i, XE_ADD, true, true); return false;
    case RV_OP_SUB: alu_rr(b, i, XE_SUB, true, false); return false;
    case RV_OP_SLL: shift_rr(b, i, XE_SHL, true); return false;
    case RV_OP_SLT: set_cc(b, i, XE_CC_L, false); return false;
    case RV_OP_SLTU: set_cc(b, i, XE_CC_B, false); return false;
    case RV_OP_XOR: alu_rr(b, i, XE_XOR, true, true); return false;
    case RV_OP_SRL: shift_rr(b, i, XE_SHR, true); return false;
    case RV_OP_SRA: shift_rr(b, i, XE_SAR, true); return false;
    case RV_OP_OR: alu_rr(b, i, XE_OR, true, true); return false;
    case RV_OP_AND: alu_rr(b, i, XE_AND, true, true); return false;
    case RV_OP_ADDW: alu_rr(b, i, XE_ADD, false, true); return false;
    case RV_OP_SUBW: alu_rr(b, i, XE_SUB, false, false); return false;
    case RV_OP_SLLW: shift_rr(b, i, XE_SHL, false); return false;
    case RV_OP_SRLW: shift_rr(b, i, XE_SHR, false); return false;
    case RV_OP_SRAW: shift_rr(b, i, XE_SAR, false); return false;
    case RV_OP_MUL:
    case RV_OP_MULW: {
        bool w64 = i->op == RV_OP_MUL;
        enum xe_reg s1 = greg(b, i->rs1), s2 = greg(b, i->rs2), d = gdst(b, i->rd);
        if (d == s2) { /* multiplication commutes */
            s2 = s1;
            s1 = d;
        }
        if (d != s1)
            xe_mov_rr(e, d, s1, w64);
        xe_imul_rr(e, d, s2, w64);
        if (!w64)
            xe_movsxd(e, d, d);
        return false;
    }
    case RV_OP_MULH:
    case RV_OP_MULHU:
        claim(b, XE_RDX); /* the product's upper half */
        ld(b, XE_RAX, i->rs1, true);
        xe_mul_r(e, i->op == RV_OP_MULH, greg(b, i->rs2));
        st(b, i->rd, XE_RDX);
        return false;
    case RV_OP_MULHSU:
        muldiv_call(b, i);
        return false;
    case RV_OP_DIV: case RV_OP_DIVU: case RV_OP_REM: case RV_OP_REMU:
    case RV_OP_DIVW: case RV_OP_DIVUW: case RV_OP_REMW: case RV_OP_REMUW:
        emit_divrem(b, i);
        return false;
    case RV_OP_GENERIC: {
        unsigned major = i->insn & 0x7f, f3 = (i->insn >> 12) & 7;
        if ((major == 0x07 || major == 0x27) && (f3 == 2 || f3 == 3)) {
            emit_fp_mem(b, i, k);
            return false;
        }
        if (major == 0x2f && emit_amo(b, i, k))
            return false;
        if (major == 0x43 || major == 0x47 || major == 0x4b || major == 0x4f ||
            major == 0x53) {
            if (!emit_fp_inline(b, i, k)) {
                emit_fp_arith(b, i, k);
                mark_clean(b); /* emit_fp_arith wrote them back */
            }
            return false;
        }
        if (jit_insn_is_system(i)) {
            flush(b);
            call_generic(b, i, k, (const void *)rv_jit_system);
            exit_if_helper_says(b);
            xe_mov_rm(e, XE_RBP, CPU, OFF(instret), true);
            xe_mov_rm(e, XE_RCX, CPU, OFF(pc), true);
            jump_cached(b);
            return true;
        }
        emit_generic(b, i, k); /* reloads: the instruction may have written any register */
        return false;
    }
    default:
        /* The front end only hands over the ops above; anything else is a bug there. */
        e->overflow = true;
        return true;
    }
}

/*
 * Guest registers instruction i reads and writes through the cache (x0 and the sink not
 * counted). Instructions run by a helper use cpu->x, written back and reloaded around the
 * call, and need no slot; the FP loads and stores take their base register from the cache.
 */
static void insn_regs(const struct jit_insn *i, uint64_t *reads, uint64_t *writes)
{
    unsigned op = i->op;
    uint64_t r = 0, w = 0;
    if (op == RV_OP_GENERIC) {
        unsigned major = i->insn & 0x7f, f3 = (i->insn >> 12) & 7;
        enum xe_alu amo_op;
        if ((major == 0x07 || major == 0x27) && (f3 == 2 || f3 == 3))
            r = 1ull << ((i->insn >> 15) & 31);
        if (major == 0x2f && amo_inline(i->insn, &amo_op)) {
            r = 1ull << ((i->insn >> 15) & 31) | 1ull << ((i->insn >> 20) & 31);
            w = 1ull << ((i->insn >> 7) & 31);
        }
    } else if (op == RV_OP_LUI || op == RV_OP_AUIPC || op == RV_OP_JAL) {
        w = 1ull << i->rd;
    } else if ((op >= RV_OP_BEQ && op <= RV_OP_BGEU) || (op >= RV_OP_SB && op <= RV_OP_SD)) {
        r = 1ull << i->rs1 | 1ull << i->rs2;
    } else if (op == RV_OP_JALR || (op >= RV_OP_LB && op <= RV_OP_LWU) ||
               (op >= RV_OP_ADDI && op <= RV_OP_SRAIW)) {
        r = 1ull << i->rs1;
        w = 1ull << i->rd;
    } else if (op >= RV_OP_ADD && op < RV_OP_COUNT) {
        r = 1ull << i->rs1 | 1ull << i->rs2;
        w = 1ull << i->rd;
    }
    const uint64_t cached = 0xfffffffeull; /* x1..x31 */
    *reads |= r & cached;
    *writes |= w & cached;
}

/* Whether instruction i takes RDX as scratch (see claim()). */
static bool insn_claims_rdx(const struct jit_insn *i)
{
    return i->op == RV_OP_GENERIC || i->op == RV_OP_MULH || i->op == RV_OP_MULHU ||
           (i->op >= RV_OP_DIV && i->op <= RV_OP_REMU) ||
           (i->op >= RV_OP_DIVW && i->op <= RV_OP_REMUW);
}

/*
 * A loop block (its last instruction a conditional branch back to its start) keeps the
 * guest registers it uses in host registers from one pass to the next, if they fit: the
 * loop head loads every one of them into a fixed slot, marked dirty if the block writes
 * it, and the body never needs another slot, so it ends with the head's assignment. RDX
 * is left out (reserved) when an instruction would claim it. Returns false if the block
 * is no loop or its registers do not fit.
 */
static bool loop_regs(struct be *b, const struct jit_block_src *src)
{
    const struct jit_insn *last = &src->in[src->n - 1];
    if (last->op < RV_OP_BEQ || last->op > RV_OP_BGEU ||
        last->pc + (uint64_t)(int64_t)last->imm != src->in[0].pc)
        return false;
    uint64_t reads = 0, writes = 0;
    bool rdx = false;
    for (unsigned k = 0; k < src->n; k++) {
        insn_regs(&src->in[k], &reads, &writes);
        rdx |= insn_claims_rdx(&src->in[k]);
    }
    uint64_t regs = reads | writes;
    if (__builtin_popcountll(regs) > NCACHE - rdx)
        return false;
    if (rdx)
        claim(b, XE_RDX);
    for (int s = 0; s < NCACHE; s++)
        b->reserved[s] = b->held[s];
    for (unsigned g = 1; g < 32; g++) {
        if (regs >> g & 1) {
            greg(b, g);
            b->dirty[cache_find(b, g)] = writes >> g & 1;
        }
    }
    memcpy(b->head_guest, b->guest, sizeof(b->head_guest));
    memcpy(b->head_dirty, b->dirty, sizeof(b->head_dirty));
    return true;
}

static long emit_block(const struct jit_block_src *src, uint8_t *buf, size_t cap,
                       uintptr_t exec, struct jit_emitted *out, bool try_loop)
{
    struct be b = {.vpage = src->in[0].pc & RV_PAGE_MASK, .exec = exec,
                   .jump_cache = src->jump_cache, .tag = src->tag, .start = src->in[0].pc,
                   .stubs = src->stubs};
    struct xe *e = &b.e;
    xe_init(e, buf, cap);
    cache_clear(&b);
    xe_push(e, XE_RBX);
    xe_push(e, XE_RBP);
    xe_push(e, XE_RAX); /* alignment */
    xe_mov_rr(e, XE_RBX, XE_RDI, true);
    xe_mov_rm(e, XE_RBP, CPU, OFF(instret), true);
    uint8_t *body = xe_jmp(e);
    b.leave = e->p;
    sync_instret(&b);
    b.leave_raw = e->p;
    xe_pop(e, XE_RCX);
    xe_pop(e, XE_RBP);
    xe_pop(e, XE_RBX);
    xe_ret(e);
    /*
     * Chain entry: RBX and RBP are set already; run only if the block fits the budget,
     * else leave with pc at the block (a chained jump does not set it).
     */
    const uint8_t *over_budget = e->p;
    xe_mov_ri(e, XE_RCX, src->in[0].pc);
    xe_mov_mr(e, CPU, OFF(pc), XE_RCX, true);
    xe_jmp_to(e, b.leave);
    out->chain_entry = xe_size(e);
    xe_lea(e, XE_RAX, XE_RBP, (int32_t)src->n);
    xe_alu_rm(e, XE_CMP, XE_RAX, CPU, OFF(limit), true);
    xe_jcc_to(e, XE_CC_A, over_budget);
    xe_patch(e, body);
    b.loop = try_loop && loop_regs(&b, src);
    b.loop_head = e->p;
    bool ended = false;
    for (unsigned k = 0; k < src->n && !ended; k++) {
        memcpy(b.held, b.reserved, sizeof(b.held));
        ended = emit_insn(&b, &src->in[k], k, src->n);
    }
    if (!ended) {
        const struct jit_insn *last = &src->in[src->n - 1];
        flush(&b);
        exit_to(&b, last->pc + last->len, src->n);
    }
    emit_side_exits(&b);
    emit_slow_paths(&b);
    if (e->overflow)
        return -ENOSPC;
    if (b.loop_broken)
        return -EAGAIN;
    out->loop = b.loop;
    return (long)xe_size(e);
}

long jit_backend_emit(const struct jit_block_src *src, uint8_t *buf, size_t cap,
                      uintptr_t exec, struct jit_emitted *out)
{
    long r = emit_block(src, buf, cap, exec, out, true);
    if (r == -EAGAIN)
        r = emit_block(src, buf, cap, exec, out, false);
    return r;
}

#else /* no backend for this host */

bool jit_backend_available(void)
{
    return false;
}

long jit_backend_stubs(uint8_t *buf, size_t cap, uintptr_t exec, struct jit_stubs *out)
{
    (void)buf;
    (void)cap;
    (void)exec;
    (void)out;
    return -ENOTSUP;
}

long jit_backend_emit(const struct jit_block_src *b, uint8_t *buf, size_t cap,
                      uintptr_t exec, struct jit_emitted *out)
{
    (void)b;
    (void)buf;
    (void)cap;
    (void)exec;
    (void)out;
    return -ENOTSUP;
}

void jit_backend_chain(uint8_t *site, uintptr_t site_exec, uintptr_t target)
{
    (void)site;
    (void)site_exec;
    (void)target;
}

void jit_backend_unchain(uint8_t *site, uintptr_t site_exec)
{
    (void)site;
    (void)site_exec;
}

#endif

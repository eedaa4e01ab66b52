/*
 * x86-64 backend: a decoded guest block becomes one host function.
 *
 * Conventions inside generated code: RBX holds the struct rv_cpu pointer (saved in the
 * prologue, so calls to helpers keep it). Guest registers live in cpu->x[]; within a block
 * some are also cached in R8-R11, write-through (see struct be), so nothing needs flushing
 * before a helper call or an exit. RAX, RCX, RDX, RSI, RDI are scratch. After the one push
 * the stack is 16-byte aligned, as the SysV ABI wants at a call.
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

_Static_assert(sizeof(struct rv_tlb_entry) == 32, "TLB entry index is scaled by 32");

bool jit_backend_available(void)
{
    return true;
}

/*
 * Guest registers cached in host registers, write-through: every write also goes to
 * cpu->x, so exits and helper calls need no flush. The cache registers are caller-saved,
 * so after any call the cache is reloaded from cpu->x (which also picks up what the helper
 * wrote). The cache starts empty at both entries of a block.
 */
#define NCACHE 4
static const enum xe_reg cache_reg[NCACHE] = {XE_R8, XE_R9, XE_R10, XE_R11};

_Static_assert(sizeof(struct jit_jc_entry) == 1u << JIT_JC_SHIFT, "jump cache entry size");

struct be {
    struct xe e;
    uint64_t vpage;            /* the block's guest page */
    uintptr_t exec;            /* host address the code will run at */
    uintptr_t jump_cache;
    int8_t guest[NCACHE];      /* guest register held, -1 if none */
    uint32_t used[NCACHE];     /* for least-recently-used replacement */
    uint32_t clock;
};

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

/* A slot for guest register g (not cached yet), evicting the least recently used. */
static int cache_slot(struct be *b, unsigned g)
{
    int best = 0;
    for (int i = 0; i < NCACHE; i++) {
        if (b->guest[i] < 0) {
            best = i;
            break;
        }
        if (b->used[i] < b->used[best])
            best = i;
    }
    b->guest[best] = (int8_t)g;
    b->used[best] = ++b->clock;
    return best;
}

static void cache_clear(struct be *b)
{
    for (int i = 0; i < NCACHE; i++)
        b->guest[i] = -1;
}

/* After a call: the cache registers are gone; load them again from cpu->x. */
static void cache_reload(struct be *b)
{
    for (int i = 0; i < NCACHE; i++) {
        if (b->guest[i] >= 0)
            xe_mov_rm(&b->e, cache_reg[i], CPU, XOFF(b->guest[i]), true);
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

/* dst = guest register g (the low 32 bits, zero-extended, when !w64). */
static void ld(struct be *b, enum xe_reg dst, unsigned g, bool w64)
{
    xe_mov_rr(&b->e, dst, greg(b, g), w64);
}

/* dst = dst OP guest register g. */
static void alu_g(struct be *b, enum xe_alu op, enum xe_reg dst, unsigned g, bool w64)
{
    xe_alu_rr(&b->e, op, dst, greg(b, g), w64);
}

/* Guest register g = src (all 64 bits), in cpu->x and in the cache. */
static void st(struct be *b, unsigned g, enum xe_reg src)
{
    xe_mov_mr(&b->e, CPU, XOFF(g), src, true);
    if (g == 0 || g >= 32)
        return; /* x0's sink is never read */
    int i = cache_find(b, g);
    if (i < 0)
        i = cache_slot(b, g);
    xe_mov_rr(&b->e, cache_reg[i], src, true);
}

static void epilogue(struct be *b)
{
    xe_pop(&b->e, XE_RBX);
    xe_ret(&b->e);
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
    xe_shift_ri(e, XE_SHR, XE_RDX, RV_PAGE_SHIFT, true);
    xe_alu_ri(e, XE_AND, XE_RDX, RV_TLB_SIZE - 1, false);
    xe_shift_ri(e, XE_SHL, XE_RDX, 5, false);
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
    epilogue(b);
}

/*
 * Leaves the block for guest address `next` after `n` instructions. Within the page, the
 * exit is a jump that may later be chained straight to the next block; until then it
 * falls through to recording itself in cpu->jit_exit and returning. Out of the page, it
 * goes through the jump cache.
 */
static void exit_to(struct be *b, uint64_t next, unsigned n)
{
    struct xe *e = &b->e;
    xe_mov_ri(e, XE_RCX, next);
    xe_mov_mr(e, CPU, OFF(pc), XE_RCX, true);
    xe_alu_mi(e, XE_ADD, CPU, OFF(instret), (int32_t)n, true);
    if ((next & RV_PAGE_MASK) != b->vpage) {
        jump_cached(b);
        return;
    }
    uint8_t *site = xe_jmp(e);
    xe_patch(e, site); /* falls through until chained */
    if (site) {
        xe_mov_ri(e, XE_RAX, b->exec + (uintptr_t)(site - e->start));
        xe_mov_mr(e, CPU, OFF(jit_exit), XE_RAX, true);
    }
    epilogue(b);
}

void jit_backend_chain(uint8_t *site, uintptr_t site_exec, uintptr_t target)
{
    int32_t rel = (int32_t)((intptr_t)target - (intptr_t)(site_exec + 4));
    memcpy(site, &rel, 4);
}

/* After a helper call: a nonzero return ends the block at once (the helper set pc). */
static void exit_if_helper_says(struct be *b)
{
    xe_test_rr(&b->e, XE_RAX, XE_RAX, false);
    xe_jcc8(&b->e, XE_CC_E, 2);
    epilogue(b); /* pop rbx; ret: exactly two bytes */
}

static void call_helper(struct be *b, const void *fn, uint64_t pc, uint64_t info)
{
    xe_mov_rr(&b->e, XE_RDI, CPU, true);
    xe_mov_ri(&b->e, XE_RDX, pc);
    xe_mov_ri(&b->e, XE_RCX, info);
    xe_call(&b->e, fn);
}

static uint64_t info_of(const struct jit_insn *i, unsigned k)
{
    return JIT_INFO(k, i->len, i->rd, i->rs2, i->op);
}

/* RSI = effective address; RAX = its TLB entry (through cpu->dtlb); RCX = page | low bits. */
static void tlb_probe(struct be *b, const struct jit_insn *i, unsigned size)
{
    struct xe *e = &b->e;
    ld(b, XE_RSI, i->rs1, true);
    if (i->imm)
        xe_lea(e, XE_RSI, XE_RSI, i->imm);
    xe_mov_rr(e, XE_RAX, XE_RSI, true);
    xe_shift_ri(e, XE_SHR, XE_RAX, RV_PAGE_SHIFT, true);
    xe_alu_ri(e, XE_AND, XE_RAX, RV_TLB_SIZE - 1, false);
    xe_shift_ri(e, XE_SHL, XE_RAX, 5, false);
    xe_alu_rm(e, XE_ADD, XE_RAX, CPU, OFF(dtlb), true);
    xe_mov_rr(e, XE_RCX, XE_RSI, true);
    /* Sign-extended to ~0xfff | (size - 1): a misaligned address never matches a tag. */
    xe_alu_ri(e, XE_AND, XE_RCX, (int32_t)(0xfffff000u | (size - 1)), true);
}

/*
 * Fast path inline, slow path (a helper) after it. Both leave the cache the same: the slow
 * path reloads whatever the fast path ends with, from cpu->x where the helper wrote.
 */
static void emit_load(struct be *b, const struct jit_insn *i, unsigned k, unsigned size,
                      bool sign)
{
    struct xe *e = &b->e;
    tlb_probe(b, i, size);
    xe_alu_rm(e, XE_CMP, XE_RCX, XE_RAX, (int32_t)offsetof(struct rv_tlb_entry, tag_r), true);
    uint8_t *slow = xe_jcc(e, XE_CC_NE);
    xe_alu_rm(e, XE_ADD, XE_RSI, XE_RAX, (int32_t)offsetof(struct rv_tlb_entry, addend), true);
    xe_load(e, XE_RAX, XE_RSI, 0, size, sign);
    st(b, i->rd, XE_RAX);
    uint8_t *done = xe_jmp(e);
    xe_patch(e, slow);
    call_helper(b, (const void *)rv_jit_load_slow, i->pc, info_of(i, k));
    exit_if_helper_says(b);
    cache_reload(b);
    xe_patch(e, done);
}

static void emit_store(struct be *b, const struct jit_insn *i, unsigned k, unsigned size)
{
    struct xe *e = &b->e;
    greg(b, i->rs2); /* cached before the branch, so both paths end with the same cache */
    tlb_probe(b, i, size);
    xe_alu_rm(e, XE_CMP, XE_RCX, XE_RAX, (int32_t)offsetof(struct rv_tlb_entry, tag_w), true);
    uint8_t *slow = xe_jcc(e, XE_CC_NE);
    xe_alu_rm(e, XE_ADD, XE_RSI, XE_RAX, (int32_t)offsetof(struct rv_tlb_entry, addend), true);
    ld(b, XE_RAX, i->rs2, true);
    xe_store(e, XE_RSI, 0, XE_RAX, size);
    uint8_t *done = xe_jmp(e);
    xe_patch(e, slow);
    call_helper(b, (const void *)rv_jit_store_slow, i->pc, info_of(i, k));
    exit_if_helper_says(b);
    cache_reload(b);
    xe_patch(e, done);
}

/* rd = rs1 OP rs2 for a two-operand x86 ALU instruction. */
static void alu_rr(struct be *b, const struct jit_insn *i, enum xe_alu op, bool w64)
{
    ld(b, XE_RAX, i->rs1, w64);
    alu_g(b, op, XE_RAX, i->rs2, w64);
    if (!w64)
        xe_movsxd(&b->e, XE_RAX, XE_RAX);
    st(b, i->rd, XE_RAX);
}

static void alu_ri(struct be *b, const struct jit_insn *i, enum xe_alu op, bool w64)
{
    ld(b, XE_RAX, i->rs1, w64);
    xe_alu_ri(&b->e, op, XE_RAX, i->imm, w64);
    if (!w64)
        xe_movsxd(&b->e, XE_RAX, XE_RAX);
    st(b, i->rd, XE_RAX);
}

static void shift_ri(struct be *b, const struct jit_insn *i, enum xe_shift op, bool w64)
{
    ld(b, XE_RAX, i->rs1, w64);
    xe_shift_ri(&b->e, op, XE_RAX, (uint8_t)i->imm, w64);
    if (!w64)
        xe_movsxd(&b->e, XE_RAX, XE_RAX);
    st(b, i->rd, XE_RAX);
}

/* x86 masks the count in CL to 63 (64-bit) or 31 (32-bit), as RISC-V does. */
static void shift_rr(struct be *b, const struct jit_insn *i, enum xe_shift op, bool w64)
{
    ld(b, XE_RCX, i->rs2, false);
    ld(b, XE_RAX, i->rs1, w64);
    xe_shift_rcl(&b->e, op, XE_RAX, w64);
    if (!w64)
        xe_movsxd(&b->e, XE_RAX, XE_RAX);
    st(b, i->rd, XE_RAX);
}

/* rd = (rs1 <cc> rs2 or imm) ? 1 : 0. */
static void set_cc(struct be *b, const struct jit_insn *i, enum xe_cc cc, bool imm)
{
    struct xe *e = &b->e;
    ld(b, XE_RAX, i->rs1, true);
    if (!imm)
        ld(b, XE_RDX, i->rs2, true);
    xe_alu_rr(e, XE_XOR, XE_RCX, XE_RCX, false); /* before the compare: it sets flags */
    if (imm)
        xe_alu_ri(e, XE_CMP, XE_RAX, i->imm, true);
    else
        xe_alu_rr(e, XE_CMP, XE_RAX, XE_RDX, true);
    xe_setcc(e, cc, XE_RCX);
    st(b, i->rd, XE_RCX);
}

static void muldiv_call(struct be *b, const struct jit_insn *i)
{
    ld(b, XE_RDI, i->rs1, true);
    ld(b, XE_RSI, i->rs2, true);
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

static void emit_branch(struct be *b, const struct jit_insn *i, unsigned n, enum xe_cc cc)
{
    ld(b, XE_RAX, i->rs1, true);
    alu_g(b, XE_CMP, XE_RAX, i->rs2, true);
    uint8_t *taken = xe_jcc(&b->e, cc);
    exit_to(b, i->pc + i->len, n);
    xe_patch(&b->e, taken);
    exit_to(b, i->pc + (uint64_t)(int64_t)i->imm, n);
}

/* The interpreter's code for the whole instruction, as a call (see rv_jit_generic). */
static void call_generic(struct be *b, const struct jit_insn *i, unsigned k, const void *fn)
{
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
    tlb_probe(b, &a, size);
    xe_mov_rm(e, XE_RDX, CPU, OFF(mstatus), false);
    xe_alu_ri(e, XE_AND, XE_RDX, (int32_t)MSTATUS_FS, false);
    if (load)
        xe_alu_ri(e, XE_CMP, XE_RDX, (int32_t)MSTATUS_FS, false);
    uint8_t *fs_no = xe_jcc(e, load ? XE_CC_NE : XE_CC_E);
    xe_alu_rm(e, XE_CMP, XE_RCX, XE_RAX,
              (int32_t)(load ? offsetof(struct rv_tlb_entry, tag_r)
                             : offsetof(struct rv_tlb_entry, tag_w)), true);
    uint8_t *miss = xe_jcc(e, XE_CC_NE);
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
    uint8_t *done = xe_jmp(e);
    xe_patch(e, fs_no);
    xe_patch(e, miss);
    call_generic(b, i, k, (const void *)rv_jit_generic);
    exit_if_helper_says(b);
    cache_reload(b);
    xe_patch(e, done);
}

/*
 * F/D arithmetic, conversions, moves and compares: the FPU called directly. When it cannot
 * finish the instruction (FS Off, an illegal encoding or rounding mode), the interpreter's
 * code runs it and raises the exception.
 */
static void emit_fp_arith(struct be *b, const struct jit_insn *i, unsigned k)
{
    struct xe *e = &b->e;
    xe_mov_rr(e, XE_RDI, CPU, true);
    xe_mov_ri(e, XE_RSI, i->insn);
    xe_call(e, (const void *)rv_jit_fp);
    xe_test_rr(e, XE_RAX, XE_RAX, false);
    uint8_t *done = xe_jcc(e, XE_CC_E);
    call_generic(b, i, k, (const void *)rv_jit_generic);
    exit_if_helper_says(b);
    xe_patch(e, done);
    cache_reload(b); /* after either call; the FPU may have written an integer register */
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
        xe_mov_ri(e, XE_RAX, (uint64_t)(int64_t)i->imm);
        st(b, i->rd, XE_RAX);
        return false;
    case RV_OP_AUIPC:
        xe_mov_ri(e, XE_RAX, i->pc + (uint64_t)(int64_t)i->imm);
        st(b, i->rd, XE_RAX);
        return false;
    case RV_OP_JAL:
        xe_mov_ri(e, XE_RAX, i->pc + i->len);
        st(b, i->rd, XE_RAX);
        exit_to(b, i->pc + (uint64_t)(int64_t)i->imm, n);
        return true;
    case RV_OP_JALR:
        /* The target first: rd may be rs1. */
        ld(b, XE_RCX, i->rs1, true);
        if (i->imm)
            xe_lea(e, XE_RCX, XE_RCX, i->imm);
        xe_alu_ri(e, XE_AND, XE_RCX, -2, true);
        xe_mov_ri(e, XE_RAX, i->pc + i->len);
        st(b, i->rd, XE_RAX);
        xe_mov_mr(e, CPU, OFF(pc), XE_RCX, true);
        xe_alu_mi(e, XE_ADD, CPU, OFF(instret), (int32_t)n, true);
        jump_cached(b);
        return true;
    case RV_OP_BEQ: emit_branch(b, i, n, XE_CC_E); return true;
    case RV_OP_BNE: emit_branch(b, i, n, XE_CC_NE); return true;
    case RV_OP_BLT: emit_branch(b, i, n, XE_CC_L); return true;
    case RV_OP_BGE: emit_branch(b, i, n, XE_CC_GE); return true;
    case RV_OP_BLTU: emit_branch(b, i, n, XE_CC_B); return true;
    case RV_OP_BGEU: emit_branch(b, i, n, XE_CC_AE); return true;
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
            xe_mov_ri(e, XE_RAX, (uint64_t)(int64_t)i->imm);
            st(b, i->rd, XE_RAX);
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
    case RV_OP_ADD: alu_rr(b, i, XE_ADD, true); return false;
    case RV_OP_SUB: alu_rr(b, i, XE_SUB, true); return false;
    case RV_OP_SLL: shift_rr(b, i, XE_SHL, true); return false;
    case RV_OP_SLT: set_cc(b, i, XE_CC_L, false); return false;
    case RV_OP_SLTU: set_cc(b, i, XE_CC_B, false); return false;
    case RV_OP_XOR: alu_rr(b, i, XE_XOR, true); return false;
    case RV_OP_SRL: shift_rr(b, i, XE_SHR, true); return false;
    case RV_OP_SRA: shift_rr(b, i, XE_SAR, true); return false;
    case RV_OP_OR: alu_rr(b, i, XE_OR, true); return false;
    case RV_OP_AND: alu_rr(b, i, XE_AND, true); return false;
    case RV_OP_ADDW: alu_rr(b, i, XE_ADD, false); return false;
    case RV_OP_SUBW: alu_rr(b, i, XE_SUB, false); return false;
    case RV_OP_SLLW: shift_rr(b, i, XE_SHL, false); return false;
    case RV_OP_SRLW: shift_rr(b, i, XE_SHR, false); return false;
    case RV_OP_SRAW: shift_rr(b, i, XE_SAR, false); return false;
    case RV_OP_MUL:
    case RV_OP_MULW: {
        bool w64 = i->op == RV_OP_MUL;
        ld(b, XE_RAX, i->rs1, w64);
        xe_imul_rr(e, XE_RAX, greg(b, i->rs2), w64);
        if (!w64)
            xe_movsxd(e, XE_RAX, XE_RAX);
        st(b, i->rd, XE_RAX);
        return false;
    }
    case RV_OP_MULH:
    case RV_OP_MULHU:
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
        if (major == 0x43 || major == 0x47 || major == 0x4b || major == 0x4f ||
            major == 0x53) {
            if (!emit_fp_inline(b, i, k))
                emit_fp_arith(b, i, k);
            return false;
        }
        if (jit_insn_is_system(i)) {
            call_generic(b, i, k, (const void *)rv_jit_system);
            epilogue(b);
            return true;
        }
        call_generic(b, i, k, (const void *)rv_jit_generic);
        exit_if_helper_says(b);
        cache_reload(b); /* the instruction may have written any register */
        return false;
    }
    default:
        /* The front end only hands over the ops above; anything else is a bug there. */
        e->overflow = true;
        return true;
    }
}

long jit_backend_emit(const struct jit_block_src *src, uint8_t *buf, size_t cap,
                      uintptr_t exec, size_t *chain_entry)
{
    struct be b = {.vpage = src->in[0].pc & RV_PAGE_MASK, .exec = exec,
                   .jump_cache = src->jump_cache};
    struct xe *e = &b.e;
    xe_init(e, buf, cap);
    cache_clear(&b);
    xe_push(e, XE_RBX);
    xe_mov_rr(e, XE_RBX, XE_RDI, true);
    uint8_t *body = xe_jmp(e);
    /* Chain entry: RBX is set and saved already; run only if the block fits the budget. */
    *chain_entry = xe_size(e);
    xe_mov_rm(e, XE_RAX, CPU, OFF(instret), true);
    xe_alu_ri(e, XE_ADD, XE_RAX, (int32_t)src->n, true);
    xe_alu_rm(e, XE_CMP, XE_RAX, CPU, OFF(limit), true);
    xe_jcc8(e, XE_CC_BE, 2);
    epilogue(&b);
    xe_patch(e, body);
    /* Whichever way it came in, the block says it is the one running (for the helpers). */
    xe_mov_ri(e, XE_RAX, src->tag);
    xe_mov_mr(e, CPU, OFF(jit_block), XE_RAX, true);
    bool ended = false;
    for (unsigned k = 0; k < src->n && !ended; k++)
        ended = emit_insn(&b, &src->in[k], k, src->n);
    if (!ended) {
        const struct jit_insn *last = &src->in[src->n - 1];
        exit_to(&b, last->pc + last->len, src->n);
    }
    if (e->overflow)
        return -ENOSPC;
    return (long)xe_size(e);
}

#else /* no backend for this host */

bool jit_backend_available(void)
{
    return false;
}

long jit_backend_emit(const struct jit_block_src *b, uint8_t *buf, size_t cap,
                      uintptr_t exec, size_t *chain_entry)
{
    (void)b;
    (void)buf;
    (void)cap;
    (void)exec;
    (void)chain_entry;
    return -ENOTSUP;
}

void jit_backend_chain(uint8_t *site, uintptr_t site_exec, uintptr_t target)
{
    (void)site;
    (void)site_exec;
    (void)target;
}

#endif

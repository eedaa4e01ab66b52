/*
 * x86-64 backend: a decoded guest block becomes one host function.
 *
 * Conventions inside generated code: RBX holds the struct rv_cpu pointer (saved in the
 * prologue, so calls to helpers keep it); guest registers stay in cpu->x[] and every
 * instruction loads and stores them, so nothing needs flushing before a helper call or an
 * exit. RAX, RCX, RDX, RSI, RDI are scratch. After the one push the stack is 16-byte
 * aligned, as the SysV ABI wants at a call.
 */
#include "riscv/jit/jit_backend.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#if defined(__x86_64__)

#include "riscv/jit/x86_64_emit.h"

#define CPU XE_RBX
#define XOFF(r) ((int32_t)(offsetof(struct rv_cpu, x) + 8 * (size_t)(r)))
#define OFF(field) ((int32_t)offsetof(struct rv_cpu, field))

_Static_assert(sizeof(struct rv_tlb_entry) == 32, "TLB entry index is scaled by 32");

bool jit_backend_available(void)
{
    return true;
}

static void epilogue(struct xe *e)
{
    xe_pop(e, XE_RBX);
    xe_ret(e);
}

/* Where the block being emitted lives: its guest page and its host execute address. */
struct emit_ctx {
    uint64_t vpage;
    uintptr_t exec;
};
static struct emit_ctx ctx;

/*
 * Leaves the block for guest address `next` after `n` instructions. Within the page, the
 * exit is a jump that may later be chained straight to the next block; until then it
 * falls through to recording itself in cpu->jit_exit and returning.
 */
static void exit_to(struct xe *e, uint64_t next, unsigned n)
{
    xe_mov_ri(e, XE_RAX, next);
    xe_mov_mr(e, CPU, OFF(pc), XE_RAX, true);
    xe_alu_mi(e, XE_ADD, CPU, OFF(instret), (int32_t)n, true);
    if ((next & RV_PAGE_MASK) == ctx.vpage) {
        uint8_t *site = xe_jmp(e);
        xe_patch(e, site); /* falls through until chained */
        if (site) {
            xe_mov_ri(e, XE_RAX, ctx.exec + (uintptr_t)(site - e->start));
            xe_mov_mr(e, CPU, OFF(jit_exit), XE_RAX, true);
        }
    }
    epilogue(e);
}

void jit_backend_chain(uint8_t *site, uintptr_t site_exec, uintptr_t target)
{
    int32_t rel = (int32_t)((intptr_t)target - (intptr_t)(site_exec + 4));
    memcpy(site, &rel, 4);
}

/* After a helper call: a nonzero return ends the block at once (the helper set pc). */
static void exit_if_helper_says(struct xe *e)
{
    xe_test_rr(e, XE_RAX, XE_RAX, false);
    xe_jcc8(e, XE_CC_E, 2);
    epilogue(e); /* pop rbx; ret: exactly two bytes */
}

static void call_helper(struct xe *e, const void *fn, uint64_t pc, uint64_t info)
{
    xe_mov_rr(e, XE_RDI, CPU, true);
    xe_mov_ri(e, XE_RDX, pc);
    xe_mov_ri(e, XE_RCX, info);
    xe_call(e, fn);
}

static uint64_t info_of(const struct jit_insn *i, unsigned k)
{
    return JIT_INFO(k, i->len, i->rd, i->rs2, i->op);
}

/* RSI = effective address; RAX = its TLB entry (through cpu->dtlb); RCX = page | low bits. */
static void tlb_probe(struct xe *e, const struct jit_insn *i, unsigned size)
{
    xe_mov_rm(e, XE_RSI, CPU, XOFF(i->rs1), true);
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

static void emit_load(struct xe *e, const struct jit_insn *i, unsigned k, unsigned size,
                      bool sign)
{
    tlb_probe(e, i, size);
    xe_alu_rm(e, XE_CMP, XE_RCX, XE_RAX, (int32_t)offsetof(struct rv_tlb_entry, tag_r), true);
    uint8_t *slow = xe_jcc(e, XE_CC_NE);
    xe_alu_rm(e, XE_ADD, XE_RSI, XE_RAX, (int32_t)offsetof(struct rv_tlb_entry, addend), true);
    xe_load(e, XE_RAX, XE_RSI, 0, size, sign);
    xe_mov_mr(e, CPU, XOFF(i->rd), XE_RAX, true);
    uint8_t *done = xe_jmp(e);
    xe_patch(e, slow);
    call_helper(e, (const void *)rv_jit_load_slow, i->pc, info_of(i, k));
    exit_if_helper_says(e);
    xe_patch(e, done);
}

static void emit_store(struct xe *e, const struct jit_insn *i, unsigned k, unsigned size)
{
    tlb_probe(e, i, size);
    xe_alu_rm(e, XE_CMP, XE_RCX, XE_RAX, (int32_t)offsetof(struct rv_tlb_entry, tag_w), true);
    uint8_t *slow = xe_jcc(e, XE_CC_NE);
    xe_alu_rm(e, XE_ADD, XE_RSI, XE_RAX, (int32_t)offsetof(struct rv_tlb_entry, addend), true);
    xe_mov_rm(e, XE_RAX, CPU, XOFF(i->rs2), true);
    xe_store(e, XE_RSI, 0, XE_RAX, size);
    uint8_t *done = xe_jmp(e);
    xe_patch(e, slow);
    call_helper(e, (const void *)rv_jit_store_slow, i->pc, info_of(i, k));
    exit_if_helper_says(e);
    xe_patch(e, done);
}

/* rd = rs1 OP rs2 for a two-operand x86 ALU instruction. */
static void alu_rr(struct xe *e, const struct jit_insn *i, enum xe_alu op, bool w64)
{
    xe_mov_rm(e, XE_RAX, CPU, XOFF(i->rs1), w64);
    xe_alu_rm(e, op, XE_RAX, CPU, XOFF(i->rs2), w64);
    if (!w64)
        xe_movsxd(e, XE_RAX, XE_RAX);
    xe_mov_mr(e, CPU, XOFF(i->rd), XE_RAX, true);
}

static void alu_ri(struct xe *e, const struct jit_insn *i, enum xe_alu op, bool w64)
{
    xe_mov_rm(e, XE_RAX, CPU, XOFF(i->rs1), w64);
    xe_alu_ri(e, op, XE_RAX, i->imm, w64);
    if (!w64)
        xe_movsxd(e, XE_RAX, XE_RAX);
    xe_mov_mr(e, CPU, XOFF(i->rd), XE_RAX, true);
}

static void shift_ri(struct xe *e, const struct jit_insn *i, enum xe_shift op, bool w64)
{
    xe_mov_rm(e, XE_RAX, CPU, XOFF(i->rs1), w64);
    xe_shift_ri(e, op, XE_RAX, (uint8_t)i->imm, w64);
    if (!w64)
        xe_movsxd(e, XE_RAX, XE_RAX);
    xe_mov_mr(e, CPU, XOFF(i->rd), XE_RAX, true);
}

/* x86 masks the count in CL to 63 (64-bit) or 31 (32-bit), as RISC-V does. */
static void shift_rr(struct xe *e, const struct jit_insn *i, enum xe_shift op, bool w64)
{
    xe_mov_rm(e, XE_RCX, CPU, XOFF(i->rs2), false);
    xe_mov_rm(e, XE_RAX, CPU, XOFF(i->rs1), w64);
    xe_shift_rcl(e, op, XE_RAX, w64);
    if (!w64)
        xe_movsxd(e, XE_RAX, XE_RAX);
    xe_mov_mr(e, CPU, XOFF(i->rd), XE_RAX, true);
}

/* rd = (rs1 <cc> rs2 or imm) ? 1 : 0. */
static void set_cc(struct xe *e, const struct jit_insn *i, enum xe_cc cc, bool imm)
{
    xe_alu_rr(e, XE_XOR, XE_RCX, XE_RCX, false);
    xe_mov_rm(e, XE_RAX, CPU, XOFF(i->rs1), true);
    if (imm)
        xe_alu_ri(e, XE_CMP, XE_RAX, i->imm, true);
    else
        xe_alu_rm(e, XE_CMP, XE_RAX, CPU, XOFF(i->rs2), true);
    xe_setcc(e, cc, XE_RCX);
    xe_mov_mr(e, CPU, XOFF(i->rd), XE_RCX, true);
}

static void muldiv_call(struct xe *e, const struct jit_insn *i)
{
    xe_mov_rm(e, XE_RDI, CPU, XOFF(i->rs1), true);
    xe_mov_rm(e, XE_RSI, CPU, XOFF(i->rs2), true);
    xe_mov_ri(e, XE_RDX, i->op);
    xe_call(e, (const void *)rv_jit_muldiv);
    xe_mov_mr(e, CPU, XOFF(i->rd), XE_RAX, true);
}

static void emit_branch(struct xe *e, const struct jit_insn *i, unsigned n, enum xe_cc cc)
{
    xe_mov_rm(e, XE_RAX, CPU, XOFF(i->rs1), true);
    xe_alu_rm(e, XE_CMP, XE_RAX, CPU, XOFF(i->rs2), true);
    uint8_t *taken = xe_jcc(e, cc);
    exit_to(e, i->pc + i->len, n);
    xe_patch(e, taken);
    exit_to(e, i->pc + (uint64_t)(int64_t)i->imm, n);
}

/* Emits instruction k of n; returns true if it ended the block. */
static bool emit_insn(struct xe *e, const struct jit_insn *i, unsigned k, unsigned n)
{
    switch (i->op) {
    case RV_OP_NOP:
    case RV_OP_FENCE_I: /* stores into code already end the block that holds it */
        return false;
    case RV_OP_LUI:
        xe_mov_mi(e, CPU, XOFF(i->rd), i->imm);
        return false;
    case RV_OP_AUIPC:
        xe_mov_ri(e, XE_RAX, i->pc + (uint64_t)(int64_t)i->imm);
        xe_mov_mr(e, CPU, XOFF(i->rd), XE_RAX, true);
        return false;
    case RV_OP_JAL:
        xe_mov_ri(e, XE_RAX, i->pc + i->len);
        xe_mov_mr(e, CPU, XOFF(i->rd), XE_RAX, true);
        exit_to(e, i->pc + (uint64_t)(int64_t)i->imm, n);
        return true;
    case RV_OP_JALR:
        /* The target first: rd may be rs1. */
        xe_mov_rm(e, XE_RCX, CPU, XOFF(i->rs1), true);
        if (i->imm)
            xe_lea(e, XE_RCX, XE_RCX, i->imm);
        xe_alu_ri(e, XE_AND, XE_RCX, -2, true);
        xe_mov_ri(e, XE_RAX, i->pc + i->len);
        xe_mov_mr(e, CPU, XOFF(i->rd), XE_RAX, true);
        xe_mov_mr(e, CPU, OFF(pc), XE_RCX, true);
        xe_alu_mi(e, XE_ADD, CPU, OFF(instret), (int32_t)n, true);
        epilogue(e);
        return true;
    case RV_OP_BEQ: emit_branch(e, i, n, XE_CC_E); return true;
    case RV_OP_BNE: emit_branch(e, i, n, XE_CC_NE); return true;
    case RV_OP_BLT: emit_branch(e, i, n, XE_CC_L); return true;
    case RV_OP_BGE: emit_branch(e, i, n, XE_CC_GE); return true;
    case RV_OP_BLTU: emit_branch(e, i, n, XE_CC_B); return true;
    case RV_OP_BGEU: emit_branch(e, i, n, XE_CC_AE); return true;
    case RV_OP_LB: emit_load(e, i, k, 1, true); return false;
    case RV_OP_LH: emit_load(e, i, k, 2, true); return false;
    case RV_OP_LW: emit_load(e, i, k, 4, true); return false;
    case RV_OP_LD: emit_load(e, i, k, 8, false); return false;
    case RV_OP_LBU: emit_load(e, i, k, 1, false); return false;
    case RV_OP_LHU: emit_load(e, i, k, 2, false); return false;
    case RV_OP_LWU: emit_load(e, i, k, 4, false); return false;
    case RV_OP_SB: emit_store(e, i, k, 1); return false;
    case RV_OP_SH: emit_store(e, i, k, 2); return false;
    case RV_OP_SW: emit_store(e, i, k, 4); return false;
    case RV_OP_SD: emit_store(e, i, k, 8); return false;
    case RV_OP_ADDI:
        if (i->rs1 == 0) {
            xe_mov_mi(e, CPU, XOFF(i->rd), i->imm);
            return false;
        }
        alu_ri(e, i, XE_ADD, true);
        return false;
    case RV_OP_SLTI: set_cc(e, i, XE_CC_L, true); return false;
    case RV_OP_SLTIU: set_cc(e, i, XE_CC_B, true); return false;
    case RV_OP_XORI: alu_ri(e, i, XE_XOR, true); return false;
    case RV_OP_ORI: alu_ri(e, i, XE_OR, true); return false;
    case RV_OP_ANDI: alu_ri(e, i, XE_AND, true); return false;
    case RV_OP_SLLI: shift_ri(e, i, XE_SHL, true); return false;
    case RV_OP_SRLI: shift_ri(e, i, XE_SHR, true); return false;
    case RV_OP_SRAI: shift_ri(e, i, XE_SAR, true); return false;
    case RV_OP_ADDIW: alu_ri(e, i, XE_ADD, false); return false;
    case RV_OP_SLLIW: shift_ri(e, i, XE_SHL, false); return false;
    case RV_OP_SRLIW: shift_ri(e, i, XE_SHR, false); return false;
    case RV_OP_SRAIW: shift_ri(e, i, XE_SAR, false); return false;
    case RV_OP_ADD: alu_rr(e, i, XE_ADD, true); return false;
    case RV_OP_SUB: alu_rr(e, i, XE_SUB, true); return false;
    case RV_OP_SLL: shift_rr(e, i, XE_SHL, true); return false;
    case RV_OP_SLT: set_cc(e, i, XE_CC_L, false); return false;
    case RV_OP_SLTU: set_cc(e, i, XE_CC_B, false); return false;
    case RV_OP_XOR: alu_rr(e, i, XE_XOR, true); return false;
    case RV_OP_SRL: shift_rr(e, i, XE_SHR, true); return false;
    case RV_OP_SRA: shift_rr(e, i, XE_SAR, true); return false;
    case RV_OP_OR: alu_rr(e, i, XE_OR, true); return false;
    case RV_OP_AND: alu_rr(e, i, XE_AND, true); return false;
    case RV_OP_ADDW: alu_rr(e, i, XE_ADD, false); return false;
    case RV_OP_SUBW: alu_rr(e, i, XE_SUB, false); return false;
    case RV_OP_SLLW: shift_rr(e, i, XE_SHL, false); return false;
    case RV_OP_SRLW: shift_rr(e, i, XE_SHR, false); return false;
    case RV_OP_SRAW: shift_rr(e, i, XE_SAR, false); return false;
    case RV_OP_MUL:
    case RV_OP_MULW: {
        bool w64 = i->op == RV_OP_MUL;
        xe_mov_rm(e, XE_RAX, CPU, XOFF(i->rs1), w64);
        xe_imul_rm(e, XE_RAX, CPU, XOFF(i->rs2), w64);
        if (!w64)
            xe_movsxd(e, XE_RAX, XE_RAX);
        xe_mov_mr(e, CPU, XOFF(i->rd), XE_RAX, true);
        return false;
    }
    case RV_OP_MULH:
    case RV_OP_MULHU:
        xe_mov_rm(e, XE_RAX, CPU, XOFF(i->rs1), true);
        xe_mul_m(e, i->op == RV_OP_MULH, CPU, XOFF(i->rs2));
        xe_mov_mr(e, CPU, XOFF(i->rd), XE_RDX, true);
        return false;
    case RV_OP_MULHSU:
    case RV_OP_DIV: case RV_OP_DIVU: case RV_OP_REM: case RV_OP_REMU:
    case RV_OP_DIVW: case RV_OP_DIVUW: case RV_OP_REMW: case RV_OP_REMUW:
        muldiv_call(e, i);
        return false;
    case RV_OP_GENERIC: {
        uint64_t ir = i->insn | (uint64_t)i->raw << 32;
        bool sys = jit_insn_is_system(i);
        xe_mov_rr(e, XE_RDI, CPU, true);
        xe_mov_ri(e, XE_RSI, i->pc);
        xe_mov_ri(e, XE_RDX, info_of(i, k));
        xe_mov_ri(e, XE_RCX, ir);
        xe_call(e, sys ? (const void *)rv_jit_system : (const void *)rv_jit_generic);
        if (sys) {
            epilogue(e);
            return true;
        }
        exit_if_helper_says(e);
        return false;
    }
    default:
        /* The front end only hands over the ops above; anything else is a bug there. */
        e->overflow = true;
        return true;
    }
}

long jit_backend_emit(const struct jit_block_src *b, uint8_t *buf, size_t cap,
                      uintptr_t exec, size_t *chain_entry)
{
    struct xe e;
    xe_init(&e, buf, cap);
    ctx = (struct emit_ctx){.vpage = b->in[0].pc & RV_PAGE_MASK, .exec = exec};
    xe_push(&e, XE_RBX);
    xe_mov_rr(&e, XE_RBX, XE_RDI, true);
    uint8_t *body = xe_jmp(&e);
    /* Chain entry: RBX is set and saved already; run only if the block fits the budget. */
    *chain_entry = xe_size(&e);
    xe_mov_rm(&e, XE_RAX, CPU, OFF(instret), true);
    xe_alu_ri(&e, XE_ADD, XE_RAX, (int32_t)b->n, true);
    xe_alu_rm(&e, XE_CMP, XE_RAX, CPU, OFF(limit), true);
    xe_jcc8(&e, XE_CC_BE, 2);
    epilogue(&e);
    xe_patch(&e, body);
    bool ended = false;
    for (unsigned k = 0; k < b->n && !ended; k++)
        ended = emit_insn(&e, &b->in[k], k, b->n);
    if (!ended) {
        const struct jit_insn *last = &b->in[b->n - 1];
        exit_to(&e, last->pc + last->len, b->n);
    }
    if (e.overflow)
        return -ENOSPC;
    return (long)xe_size(&e);
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

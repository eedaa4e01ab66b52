/*
 * A small x86-64 instruction encoder: just the forms the RISC-V backend uses.
 *
 * Writes go to a bounded buffer; running past its end sets `overflow` and stops writing,
 * so a caller emits a whole block and checks once at the end.
 */
#ifndef KITE_RISCV_JIT_X86_64_EMIT_H
#define KITE_RISCV_JIT_X86_64_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xe {
    uint8_t *start, *p, *end;
    bool overflow;
};

enum xe_reg {
    XE_RAX, XE_RCX, XE_RDX, XE_RBX, XE_RSP, XE_RBP, XE_RSI, XE_RDI,
    XE_R8, XE_R9, XE_R10, XE_R11, XE_R12, XE_R13, XE_R14, XE_R15,
};

/* Condition codes (the low nibble of Jcc/SETcc). */
enum xe_cc {
    XE_CC_O, XE_CC_NO, XE_CC_B, XE_CC_AE, XE_CC_E, XE_CC_NE, XE_CC_BE, XE_CC_A,
    XE_CC_S, XE_CC_NS, XE_CC_P, XE_CC_NP, XE_CC_L, XE_CC_GE, XE_CC_LE, XE_CC_G,
};

/* Two-operand ALU forms: the /digit of 81/83 and the opcode of the r, r/m form. */
enum xe_alu { XE_ADD, XE_OR, XE_ADC, XE_SBB, XE_AND, XE_SUB, XE_XOR, XE_CMP };
/* Shifts: the /digit of C1/D3. */
enum xe_shift { XE_SHL = 4, XE_SHR = 5, XE_SAR = 7 };

static inline void xe_init(struct xe *e, uint8_t *buf, size_t size)
{
    e->start = e->p = buf;
    e->end = buf + size;
    e->overflow = false;
}

static inline size_t xe_size(const struct xe *e)
{
    return (size_t)(e->p - e->start);
}

void xe_byte(struct xe *e, uint8_t b);
void xe_u32(struct xe *e, uint32_t v);

/* w64: 64-bit operand size, else 32-bit (which zero-extends into the upper half). */
void xe_mov_rr(struct xe *e, enum xe_reg dst, enum xe_reg src, bool w64);
void xe_mov_rm(struct xe *e, enum xe_reg dst, enum xe_reg base, int32_t disp, bool w64);
void xe_mov_mr(struct xe *e, enum xe_reg base, int32_t disp, enum xe_reg src, bool w64);
/* dst = v, in the shortest form. */
void xe_mov_ri(struct xe *e, enum xe_reg dst, uint64_t v);
/* 64-bit store of a sign-extended 32-bit immediate. */
void xe_mov_mi(struct xe *e, enum xe_reg base, int32_t disp, int32_t imm);
/* Loads `size` bytes at [base+disp] into dst, zero- or sign-extended to 64 bits. */
void xe_load(struct xe *e, enum xe_reg dst, enum xe_reg base, int32_t disp, unsigned size,
             bool sign);
/* Stores the low `size` bytes of src (src must be RAX..RBX for size 1). */
void xe_store(struct xe *e, enum xe_reg base, int32_t disp, enum xe_reg src, unsigned size);
void xe_alu_rr(struct xe *e, enum xe_alu op, enum xe_reg dst, enum xe_reg src, bool w64);
void xe_alu_rm(struct xe *e, enum xe_alu op, enum xe_reg dst, enum xe_reg base, int32_t disp,
               bool w64);
void xe_alu_ri(struct xe *e, enum xe_alu op, enum xe_reg dst, int32_t imm, bool w64);
void xe_alu_mi(struct xe *e, enum xe_alu op, enum xe_reg base, int32_t disp, int32_t imm,
               bool w64);
void xe_shift_ri(struct xe *e, enum xe_shift op, enum xe_reg dst, uint8_t n, bool w64);
void xe_shift_rcl(struct xe *e, enum xe_shift op, enum xe_reg dst, bool w64);
/* dst = sign-extended low 32 bits of src. */
void xe_movsxd(struct xe *e, enum xe_reg dst, enum xe_reg src);
void xe_lea(struct xe *e, enum xe_reg dst, enum xe_reg base, int32_t disp);
/* 64-bit [base + index*8 + disp] = src, and dst = [base + index*8 + disp]. */
void xe_mov_mr_idx8(struct xe *e, enum xe_reg base, enum xe_reg index, int32_t disp,
                    enum xe_reg src);
void xe_mov_rm_idx8(struct xe *e, enum xe_reg dst, enum xe_reg base, enum xe_reg index,
                    int32_t disp);
/* test al, imm8 / test ah, imm8. */
void xe_test_al(struct xe *e, uint8_t imm);
void xe_test_ah(struct xe *e, uint8_t imm);
/* A call with rel32 from the instruction at execute address `here` to `target`. */
void xe_call_rel(struct xe *e, uintptr_t here, uintptr_t target);
/* dst *= [base+disp] (low half of the product). */
void xe_imul_rm(struct xe *e, enum xe_reg dst, enum xe_reg base, int32_t disp, bool w64);
void xe_imul_rr(struct xe *e, enum xe_reg dst, enum xe_reg src, bool w64);
/* RDX:RAX = RAX * [base+disp] (or * src), unsigned (mul) or signed (imul), 64-bit. */
void xe_mul_m(struct xe *e, bool sign, enum xe_reg base, int32_t disp);
void xe_mul_r(struct xe *e, bool sign, enum xe_reg src);
/* RDX:RAX (EDX:EAX) / src: quotient in RAX, remainder in RDX; faults on /0 and overflow. */
void xe_div_r(struct xe *e, bool sign, enum xe_reg src, bool w64);
/* RDX (EDX) = sign of RAX (EAX): cqo / cdq. */
void xe_sign_extend_ax(struct xe *e, bool w64);
void xe_neg(struct xe *e, enum xe_reg r, bool w64);
/* dst (RAX..RBX) low byte = condition. */
void xe_setcc(struct xe *e, enum xe_cc cc, enum xe_reg dst);
void xe_test_rr(struct xe *e, enum xe_reg a, enum xe_reg b, bool w64);
/*
 * Scalar double-precision SSE on XMM0-XMM7: an F2-prefixed 0F-map instruction with its
 * register operand `xmm` and memory operand [base+disp] (movsd load 0x10, store 0x11;
 * addsd 0x58, mulsd 0x59, subsd 0x5c, divsd 0x5e, sqrtsd 0x51).
 */
enum xe_sd { XE_SD_LOAD = 0x10, XE_SD_STORE = 0x11, XE_SD_SQRT = 0x51, XE_SD_ADD = 0x58,
             XE_SD_MUL = 0x59, XE_SD_SUB = 0x5c, XE_SD_DIV = 0x5e };
void xe_sd_m(struct xe *e, enum xe_sd op, unsigned xmm, enum xe_reg base, int32_t disp);
/* dst = the low 64 bits of XMM `xmm` (movq). */
void xe_movq_from_xmm(struct xe *e, enum xe_reg dst, unsigned xmm);
/*
 * FMA3, the 231 forms on XMM0-XMM7 (VEX, W1): acc = +-(a * b) +- acc with one rounding.
 * vfmadd 0xb9 (a*b + acc), vfmsub 0xbb (a*b - acc), vfnmadd 0xbd (-(a*b) + acc),
 * vfnmsub 0xbf (-(a*b) - acc).
 */
enum xe_fma { XE_FMADD = 0xb9, XE_FMSUB = 0xbb, XE_FNMADD = 0xbd, XE_FNMSUB = 0xbf };
void xe_fma231sd(struct xe *e, enum xe_fma op, unsigned acc, unsigned a, unsigned b);
void xe_push(struct xe *e, enum xe_reg r);
void xe_pop(struct xe *e, enum xe_reg r);
void xe_ret(struct xe *e);
/* Jumps to the address stored at [base+disp]. */
void xe_jmp_m(struct xe *e, enum xe_reg base, int32_t disp);
/* Calls an absolute address through RAX. */
void xe_call(struct xe *e, const void *fn);
/* Forward jumps: return the position of the rel32 to patch with xe_patch (NULL on overflow). */
uint8_t *xe_jcc(struct xe *e, enum xe_cc cc);
uint8_t *xe_jmp(struct xe *e);
/* Jcc rel8 over the next `n` bytes (n < 128). */
void xe_jcc8(struct xe *e, enum xe_cc cc, uint8_t n);
/* Jumps to an address already emitted (rel8 if it reaches, else rel32). */
void xe_jcc_to(struct xe *e, enum xe_cc cc, const uint8_t *target);
void xe_jmp_to(struct xe *e, const uint8_t *target);
/* Points the rel32 at `site` to the current position. */
void xe_patch(struct xe *e, uint8_t *site);

#endif

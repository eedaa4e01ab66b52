/* x86-64 encoder (see x86_64_emit.h). Encodings follow the Intel SDM, volume 2. */
#include "riscv/jit/x86_64_emit.h"

#include <string.h>

void xe_byte(struct xe *e, uint8_t b)
{
    if (e->p >= e->end) {
        e->overflow = true;
        return;
    }
    *e->p++ = b;
}

void xe_u32(struct xe *e, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        xe_byte(e, (uint8_t)(v >> (8 * i)));
}

static void u64(struct xe *e, uint64_t v)
{
    xe_u32(e, (uint32_t)v);
    xe_u32(e, (uint32_t)(v >> 32));
}

/* REX prefix for a reg field and an r/m (or base) field; omitted when it would be 0x40. */
static void rex(struct xe *e, bool w, unsigned reg, unsigned rm, bool force)
{
    uint8_t b = (uint8_t)(0x40 | (w ? 8 : 0) | ((reg >> 3) << 2) | (rm >> 3));
    if (b != 0x40 || force)
        xe_byte(e, b);
}

static void modrm_reg(struct xe *e, unsigned reg, unsigned rm)
{
    xe_byte(e, (uint8_t)(0xc0 | ((reg & 7) << 3) | (rm & 7)));
}

/* ModRM (and SIB, displacement) for [base + disp]. */
static void modrm_mem(struct xe *e, unsigned reg, unsigned base, int32_t disp)
{
    unsigned mod;
    if (disp == 0 && (base & 7) != XE_RBP)
        mod = 0; /* RBP/R13 with mod 0 would mean RIP-relative / no base */
    else if (disp >= -128 && disp <= 127)
        mod = 1;
    else
        mod = 2;
    xe_byte(e, (uint8_t)((mod << 6) | ((reg & 7) << 3) | (base & 7)));
    if ((base & 7) == XE_RSP)
        xe_byte(e, 0x24); /* SIB: no index, base RSP/R12 */
    if (mod == 1)
        xe_byte(e, (uint8_t)(int8_t)disp);
    else if (mod == 2)
        xe_u32(e, (uint32_t)disp);
}

void xe_mov_rr(struct xe *e, enum xe_reg dst, enum xe_reg src, bool w64)
{
    rex(e, w64, src, dst, false);
    xe_byte(e, 0x89);
    modrm_reg(e, src, dst);
}

void xe_mov_rm(struct xe *e, enum xe_reg dst, enum xe_reg base, int32_t disp, bool w64)
{
    rex(e, w64, dst, base, false);
    xe_byte(e, 0x8b);
    modrm_mem(e, dst, base, disp);
}

void xe_mov_mr(struct xe *e, enum xe_reg base, int32_t disp, enum xe_reg src, bool w64)
{
    rex(e, w64, src, base, false);
    xe_byte(e, 0x89);
    modrm_mem(e, src, base, disp);
}

void xe_mov_ri(struct xe *e, enum xe_reg dst, uint64_t v)
{
    if (v <= UINT32_MAX) {
        rex(e, false, 0, dst, false);
        xe_byte(e, (uint8_t)(0xb8 + (dst & 7)));
        xe_u32(e, (uint32_t)v);
    } else if ((int64_t)v == (int64_t)(int32_t)v) {
        rex(e, true, 0, dst, false);
        xe_byte(e, 0xc7);
        modrm_reg(e, 0, dst);
        xe_u32(e, (uint32_t)v);
    } else {
        rex(e, true, 0, dst, false);
        xe_byte(e, (uint8_t)(0xb8 + (dst & 7)));
        u64(e, v);
    }
}

void xe_mov_mi(struct xe *e, enum xe_reg base, int32_t disp, int32_t imm)
{
    rex(e, true, 0, base, false);
    xe_byte(e, 0xc7);
    modrm_mem(e, 0, base, disp);
    xe_u32(e, (uint32_t)imm);
}

void xe_load(struct xe *e, enum xe_reg dst, enum xe_reg base, int32_t disp, unsigned size,
             bool sign)
{
    switch (size) {
    case 1:
    case 2:
        rex(e, sign, dst, base, false);
        xe_byte(e, 0x0f);
        xe_byte(e, (uint8_t)((sign ? 0xbe : 0xb6) + (size == 2)));
        break;
    case 4:
        rex(e, sign, dst, base, false);
        xe_byte(e, sign ? 0x63 : 0x8b); /* movsxd, or a 32-bit mov that zero-extends */
        break;
    default:
        rex(e, true, dst, base, false);
        xe_byte(e, 0x8b);
        break;
    }
    modrm_mem(e, dst, base, disp);
}

void xe_store(struct xe *e, enum xe_reg base, int32_t disp, enum xe_reg src, unsigned size)
{
    if (size == 2)
        xe_byte(e, 0x66);
    /* Byte registers 4-7 need a REX prefix to mean SPL..DIL rather than AH..BH. */
    rex(e, size == 8, src, base, size == 1 && src >= 4);
    xe_byte(e, size == 1 ? 0x88 : 0x89);
    modrm_mem(e, src, base, disp);
}

void xe_alu_rr(struct xe *e, enum xe_alu op, enum xe_reg dst, enum xe_reg src, bool w64)
{
    rex(e, w64, src, dst, false);
    xe_byte(e, (uint8_t)(op * 8 + 1));
    modrm_reg(e, src, dst);
}

void xe_alu_rm(struct xe *e, enum xe_alu op, enum xe_reg dst, enum xe_reg base, int32_t disp,
               bool w64)
{
    rex(e, w64, dst, base, false);
    xe_byte(e, (uint8_t)(op * 8 + 3));
    modrm_mem(e, dst, base, disp);
}

void xe_alu_ri(struct xe *e, enum xe_alu op, enum xe_reg dst, int32_t imm, bool w64)
{
    bool short_imm = imm >= -128 && imm <= 127;
    rex(e, w64, 0, dst, false);
    xe_byte(e, short_imm ? 0x83 : 0x81);
    modrm_reg(e, op, dst);
    if (short_imm)
        xe_byte(e, (uint8_t)(int8_t)imm);
    else
        xe_u32(e, (uint32_t)imm);
}

void xe_alu_mi(struct xe *e, enum xe_alu op, enum xe_reg base, int32_t disp, int32_t imm,
               bool w64)
{
    bool short_imm = imm >= -128 && imm <= 127;
    rex(e, w64, 0, base, false);
    xe_byte(e, short_imm ? 0x83 : 0x81);
    modrm_mem(e, op, base, disp);
    if (short_imm)
        xe_byte(e, (uint8_t)(int8_t)imm);
    else
        xe_u32(e, (uint32_t)imm);
}

void xe_shift_ri(struct xe *e, enum xe_shift op, enum xe_reg dst, uint8_t n, bool w64)
{
    rex(e, w64, 0, dst, false);
    xe_byte(e, 0xc1);
    modrm_reg(e, op, dst);
    xe_byte(e, n);
}

void xe_shift_rcl(struct xe *e, enum xe_shift op, enum xe_reg dst, bool w64)
{
    rex(e, w64, 0, dst, false);
    xe_byte(e, 0xd3);
    modrm_reg(e, op, dst);
}

void xe_movsxd(struct xe *e, enum xe_reg dst, enum xe_reg src)
{
    rex(e, true, dst, src, false);
    xe_byte(e, 0x63);
    modrm_reg(e, dst, src);
}

/* ModRM, SIB and disp8/disp32 for [base + index*8 + disp] (base not RBP/R13 with disp 0). */
static void modrm_idx8(struct xe *e, unsigned reg, unsigned base, unsigned index, int32_t disp)
{
    bool d8 = disp >= -128 && disp <= 127;
    xe_byte(e, (uint8_t)((d8 ? 0x44 : 0x84) | ((reg & 7) << 3)));
    xe_byte(e, (uint8_t)(0xc0 | ((index & 7) << 3) | (base & 7)));
    if (d8)
        xe_byte(e, (uint8_t)(int8_t)disp);
    else
        xe_u32(e, (uint32_t)disp);
}

static void rex_idx(struct xe *e, unsigned reg, unsigned base, unsigned index)
{
    xe_byte(e, (uint8_t)(0x48 | ((reg >> 3) << 2) | ((index >> 3) << 1) | (base >> 3)));
}

void xe_mov_mr_idx8(struct xe *e, enum xe_reg base, enum xe_reg index, int32_t disp,
                    enum xe_reg src)
{
    rex_idx(e, src, base, index);
    xe_byte(e, 0x89);
    modrm_idx8(e, src, base, index, disp);
}

void xe_mov_rm_idx8(struct xe *e, enum xe_reg dst, enum xe_reg base, enum xe_reg index,
                    int32_t disp)
{
    rex_idx(e, dst, base, index);
    xe_byte(e, 0x8b);
    modrm_idx8(e, dst, base, index, disp);
}

void xe_test_al(struct xe *e, uint8_t imm)
{
    xe_byte(e, 0xa8);
    xe_byte(e, imm);
}

void xe_test_ah(struct xe *e, uint8_t imm)
{
    xe_byte(e, 0xf6);
    xe_byte(e, 0xc4);
    xe_byte(e, imm);
}

void xe_call_rel(struct xe *e, uintptr_t here, uintptr_t target)
{
    xe_byte(e, 0xe8);
    xe_u32(e, (uint32_t)(int32_t)((intptr_t)target - (intptr_t)(here + 5)));
}

void xe_lea(struct xe *e, enum xe_reg dst, enum xe_reg base, int32_t disp)
{
    rex(e, true, dst, base, false);
    xe_byte(e, 0x8d);
    modrm_mem(e, dst, base, disp);
}

void xe_imul_rm(struct xe *e, enum xe_reg dst, enum xe_reg base, int32_t disp, bool w64)
{
    rex(e, w64, dst, base, false);
    xe_byte(e, 0x0f);
    xe_byte(e, 0xaf);
    modrm_mem(e, dst, base, disp);
}

void xe_imul_rr(struct xe *e, enum xe_reg dst, enum xe_reg src, bool w64)
{
    rex(e, w64, dst, src, false);
    xe_byte(e, 0x0f);
    xe_byte(e, 0xaf);
    modrm_reg(e, dst, src);
}

void xe_mul_r(struct xe *e, bool sign, enum xe_reg src)
{
    rex(e, true, 0, src, false);
    xe_byte(e, 0xf7);
    modrm_reg(e, sign ? 5 : 4, src);
}

void xe_div_r(struct xe *e, bool sign, enum xe_reg src, bool w64)
{
    rex(e, w64, 0, src, false);
    xe_byte(e, 0xf7);
    modrm_reg(e, sign ? 7 : 6, src);
}

void xe_sign_extend_ax(struct xe *e, bool w64)
{
    rex(e, w64, 0, 0, false);
    xe_byte(e, 0x99);
}

void xe_neg(struct xe *e, enum xe_reg r, bool w64)
{
    rex(e, w64, 0, r, false);
    xe_byte(e, 0xf7);
    modrm_reg(e, 3, r);
}

void xe_mul_m(struct xe *e, bool sign, enum xe_reg base, int32_t disp)
{
    rex(e, true, 0, base, false);
    xe_byte(e, 0xf7);
    modrm_mem(e, sign ? 5 : 4, base, disp);
}

void xe_setcc(struct xe *e, enum xe_cc cc, enum xe_reg dst)
{
    rex(e, false, 0, dst, dst >= 4);
    xe_byte(e, 0x0f);
    xe_byte(e, (uint8_t)(0x90 + cc));
    modrm_reg(e, 0, dst);
}

void xe_test_rr(struct xe *e, enum xe_reg a, enum xe_reg b, bool w64)
{
    rex(e, w64, b, a, false);
    xe_byte(e, 0x85);
    modrm_reg(e, b, a);
}

void xe_push(struct xe *e, enum xe_reg r)
{
    rex(e, false, 0, r, false);
    xe_byte(e, (uint8_t)(0x50 + (r & 7)));
}

void xe_pop(struct xe *e, enum xe_reg r)
{
    rex(e, false, 0, r, false);
    xe_byte(e, (uint8_t)(0x58 + (r & 7)));
}

void xe_ret(struct xe *e)
{
    xe_byte(e, 0xc3);
}

void xe_jmp_m(struct xe *e, enum xe_reg base, int32_t disp)
{
    rex(e, false, 0, base, false);
    xe_byte(e, 0xff);
    modrm_mem(e, 4, base, disp);
}

void xe_call(struct xe *e, const void *fn)
{
    xe_mov_ri(e, XE_RAX, (uint64_t)(uintptr_t)fn);
    xe_byte(e, 0xff);
    modrm_reg(e, 2, XE_RAX);
}

uint8_t *xe_jcc(struct xe *e, enum xe_cc cc)
{
    xe_byte(e, 0x0f);
    xe_byte(e, (uint8_t)(0x80 + cc));
    uint8_t *site = e->p;
    xe_u32(e, 0);
    return e->overflow ? NULL : site;
}

uint8_t *xe_jmp(struct xe *e)
{
    xe_byte(e, 0xe9);
    uint8_t *site = e->p;
    xe_u32(e, 0);
    return e->overflow ? NULL : site;
}

void xe_jcc8(struct xe *e, enum xe_cc cc, uint8_t n)
{
    xe_byte(e, (uint8_t)(0x70 + cc));
    xe_byte(e, n);
}

/* Backward (or known) targets: the short form when the target is in reach. */
static void jump_to(struct xe *e, int op8, const uint8_t *target)
{
    intptr_t rel8 = target - (e->p + 2);
    if (rel8 >= -128 && rel8 <= 127) {
        xe_byte(e, (uint8_t)op8);
        xe_byte(e, (uint8_t)(int8_t)rel8);
        return;
    }
    if (op8 == 0xeb) {
        xe_byte(e, 0xe9);
    } else {
        xe_byte(e, 0x0f);
        xe_byte(e, (uint8_t)(op8 + 0x10)); /* 0x7X -> 0x0f 0x8X */
    }
    xe_u32(e, (uint32_t)(int32_t)(target - (e->p + 4)));
}

void xe_jcc_to(struct xe *e, enum xe_cc cc, const uint8_t *target)
{
    jump_to(e, 0x70 + cc, target);
}

void xe_jmp_to(struct xe *e, const uint8_t *target)
{
    jump_to(e, 0xeb, target);
}

void xe_patch(struct xe *e, uint8_t *site)
{
    if (!site || e->overflow)
        return;
    int32_t rel = (int32_t)(e->p - (site + 4));
    memcpy(site, &rel, 4);
}

void xe_sd_m(struct xe *e, enum xe_sd op, unsigned xmm, enum xe_reg base, int32_t disp)
{
    xe_byte(e, 0xf2); /* the mandatory prefix comes before REX */
    rex(e, false, xmm, base, false);
    xe_byte(e, 0x0f);
    xe_byte(e, (uint8_t)op);
    modrm_mem(e, xmm, base, disp);
}

void xe_movq_from_xmm(struct xe *e, enum xe_reg dst, unsigned xmm)
{
    xe_byte(e, 0x66);
    rex(e, true, xmm, dst, false);
    xe_byte(e, 0x0f);
    xe_byte(e, 0x7e);
    modrm_reg(e, xmm, dst);
}

void xe_fma231sd(struct xe *e, enum xe_fma op, unsigned acc, unsigned a, unsigned b)
{
    /* Three-byte VEX: R, X, B inverted (no extended registers), map 0F38; W1, ~vvvv = a, pp 66. */
    xe_byte(e, 0xc4);
    xe_byte(e, 0xe2);
    xe_byte(e, (uint8_t)(0x80 | ((~a & 15) << 3) | 1));
    xe_byte(e, (uint8_t)op);
    modrm_reg(e, acc, b);
}

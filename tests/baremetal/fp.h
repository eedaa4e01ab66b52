/*
 * Constants and check macros shared by the FP tests (fpu.S, fpu_cvt.S).
 *
 * Operands are written as bit patterns; single-precision results are compared as 32-bit
 * patterns (fmv.x.w then zero-extended). Every check compares the exact result and the
 * exact fflags, which are cleared before each operation.
 */
#ifndef KITE_BAREMETAL_FP_H
#define KITE_BAREMETAL_FP_H

/* fflags */
#define NX 0x01
#define UF 0x02
#define OF 0x04
#define DZ 0x08
#define NV 0x10

/* single */
#define S_ZERO   0x00000000
#define S_NZERO  0x80000000
#define S_ONE    0x3f800000
#define S_NONE   0xbf800000
#define S_TWO    0x40000000
#define S_THREE  0x40400000
#define S_FOUR   0x40800000
#define S_HALF   0x3f000000
#define S_1_5    0x3fc00000
#define S_N1_5   0xbfc00000
#define S_2_5    0x40200000
#define S_INF    0x7f800000
#define S_NINF   0xff800000
#define S_QNAN   0x7fc00000         /* the canonical NaN */
#define S_SNAN   0x7f800001
#define S_MAX    0x7f7fffff
#define S_MINN   0x00800000         /* smallest normal */
#define S_MINS   0x00000001         /* smallest subnormal */
/* double */
#define D_ZERO   0x0000000000000000
#define D_NZERO  0x8000000000000000
#define D_ONE    0x3ff0000000000000
#define D_NONE   0xbff0000000000000
#define D_TWO    0x4000000000000000
#define D_THREE  0x4008000000000000
#define D_FOUR   0x4010000000000000
#define D_HALF   0x3fe0000000000000
#define D_1_5    0x3ff8000000000000
#define D_N1_5   0xbff8000000000000
#define D_2_5    0x4004000000000000
#define D_INF    0x7ff0000000000000
#define D_NINF   0xfff0000000000000
#define D_QNAN   0x7ff8000000000000
#define D_SNAN   0x7ff0000000000001
#define D_MAX    0x7fefffffffffffff
#define D_MINN   0x0010000000000000
#define D_MINS   0x0000000000000001

#define FS_LOAD(freg, bits) li t0, bits; fmv.w.x freg, t0
#define FD_LOAD(freg, bits) li t0, bits; fmv.d.x freg, t0

/* compare fa0 (as single / as double) and fflags with the expected values */
#define FCHECK_S(n, expect, flags) \
    csrr a1, fflags; fmv.x.w a0, fa0; slli a0, a0, 32; srli a0, a0, 32; \
    CHECK_REG(n, a0, expect); CHECK_REG(n, a1, flags)
#define FCHECK_D(n, expect, flags) \
    csrr a1, fflags; fmv.x.d a0, fa0; CHECK_REG(n, a0, expect); CHECK_REG(n, a1, flags)

/* fa0 = op(fa1[, fa2[, fa3]]) [, rm] */
#define TEST_S1(n, op, expect, flags, a) \
    FS_LOAD(fa1, a); csrwi fflags, 0; op fa0, fa1; FCHECK_S(n, expect, flags)
#define TEST_S2(n, op, expect, flags, a, b) \
    FS_LOAD(fa1, a); FS_LOAD(fa2, b); csrwi fflags, 0; op fa0, fa1, fa2; FCHECK_S(n, expect, flags)
#define TEST_S2_RM(n, op, rm, expect, flags, a, b) \
    FS_LOAD(fa1, a); FS_LOAD(fa2, b); csrwi fflags, 0; op fa0, fa1, fa2, rm; \
    FCHECK_S(n, expect, flags)
#define TEST_S3(n, op, expect, flags, a, b, c) \
    FS_LOAD(fa1, a); FS_LOAD(fa2, b); FS_LOAD(fa3, c); csrwi fflags, 0; \
    op fa0, fa1, fa2, fa3; FCHECK_S(n, expect, flags)
#define TEST_D1(n, op, expect, flags, a) \
    FD_LOAD(fa1, a); csrwi fflags, 0; op fa0, fa1; FCHECK_D(n, expect, flags)
#define TEST_D2(n, op, expect, flags, a, b) \
    FD_LOAD(fa1, a); FD_LOAD(fa2, b); csrwi fflags, 0; op fa0, fa1, fa2; FCHECK_D(n, expect, flags)
#define TEST_D2_RM(n, op, rm, expect, flags, a, b) \
    FD_LOAD(fa1, a); FD_LOAD(fa2, b); csrwi fflags, 0; op fa0, fa1, fa2, rm; \
    FCHECK_D(n, expect, flags)
#define TEST_D3(n, op, expect, flags, a, b, c) \
    FD_LOAD(fa1, a); FD_LOAD(fa2, b); FD_LOAD(fa3, c); csrwi fflags, 0; \
    op fa0, fa1, fa2, fa3; FCHECK_D(n, expect, flags)

/* a0 = op(fa1) (FP -> integer, compares, fclass) and fflags */
#define ICHECK(n, expect, flags) \
    csrr a1, fflags; CHECK_REG(n, a0, expect); CHECK_REG(n, a1, flags)
#define TEST_F2I_S(n, op, rm, expect, flags, a) \
    FS_LOAD(fa1, a); csrwi fflags, 0; op a0, fa1, rm; ICHECK(n, expect, flags)
#define TEST_F2I_D(n, op, rm, expect, flags, a) \
    FD_LOAD(fa1, a); csrwi fflags, 0; op a0, fa1, rm; ICHECK(n, expect, flags)
#define TEST_CMP_S(n, op, expect, flags, a, b) \
    FS_LOAD(fa1, a); FS_LOAD(fa2, b); csrwi fflags, 0; op a0, fa1, fa2; ICHECK(n, expect, flags)
#define TEST_CMP_D(n, op, expect, flags, a, b) \
    FD_LOAD(fa1, a); FD_LOAD(fa2, b); csrwi fflags, 0; op a0, fa1, fa2; ICHECK(n, expect, flags)
#define TEST_CLASS_S(n, expect, a) \
    FS_LOAD(fa1, a); csrwi fflags, 0; fclass.s a0, fa1; ICHECK(n, expect, 0)
#define TEST_CLASS_D(n, expect, a) \
    FD_LOAD(fa1, a); csrwi fflags, 0; fclass.d a0, fa1; ICHECK(n, expect, 0)

/* fa0 = op(a2) (integer -> FP) */
#define TEST_I2F_S(n, op, rm, expect, flags, a) \
    li a2, a; csrwi fflags, 0; op fa0, a2, rm; FCHECK_S(n, expect, flags)
#define TEST_I2F_D(n, op, rm, expect, flags, a) \
    li a2, a; csrwi fflags, 0; op fa0, a2, rm; FCHECK_D(n, expect, flags)

#endif

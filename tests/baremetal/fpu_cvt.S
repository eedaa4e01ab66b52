/*
 * F and D, part 2: conversions in every direction (rounding, saturation with NV, W results
 * sign-extended), each of the five static rounding modes on arithmetic, sqrt, fma and
 * conversions, the dynamic rounding mode through frm, reserved rounding modes (static and
 * in frm) raising illegal instruction, fflags accumulating until cleared, and mstatus.FS
 * (Off -> FP instructions and FP CSRs are illegal; writing FP state -> Dirty, with SD).
 */
#include "test.h"
#include "fp.h"

#define S_TIE    0x33800000         /* 2^-24: half an ulp of 1.0f */
#define S_NTIE   0xb3800000
#define S_3Q     0x33c00000         /* 3/4 ulp of 1.0f */
#define D_TIE    0x3ca0000000000000 /* 2^-53 */

#define TEST_S1_RM(n, op, rm, expect, flags, a) \
    FS_LOAD(fa1, a); csrwi fflags, 0; op fa0, fa1, rm; FCHECK_S(n, expect, flags)
#define TEST_S3_RM(n, op, rm, expect, flags, a, b, c) \
    FS_LOAD(fa1, a); FS_LOAD(fa2, b); FS_LOAD(fa3, c); csrwi fflags, 0; \
    op fa0, fa1, fa2, fa3, rm; FCHECK_S(n, expect, flags)

/* double -> single: double operand, single result */
#define TEST_D2S(n, rm, expect, flags, a) \
    FD_LOAD(fa1, a); csrwi fflags, 0; fcvt.s.d fa0, fa1, rm; FCHECK_S(n, expect, flags)

/* int32 -> double is always exact: these take no rounding mode */
#define TEST_I2F_D_EXACT(n, op, expect, flags, a) \
    li a2, a; csrwi fflags, 0; op fa0, a2; FCHECK_D(n, expect, flags)

/* Illegal-instruction check after EXPECT_TRAP(label after `at`) */
#define CHECK_ILLEGAL(n, at) \
    CHECK_TS(n, TS_MCAUSE, 2); la a1, at; ld a0, TS_MEPC(gp); CHECK_EQ(n, a0, a1)

TEST_START
test_body:
    /* ---- FP -> integer: rounding, saturation with NV, 32-bit results sign-extended ---- */
    TEST_F2I_S(1, fcvt.w.s, rne, 2, NX, S_1_5)
    TEST_F2I_S(2, fcvt.w.s, rtz, 1, NX, S_1_5)
    TEST_F2I_S(3, fcvt.w.s, rne, -2, NX, S_N1_5)
    TEST_F2I_S(4, fcvt.w.s, rne, 0x7fffffff, NV, 0x4f32d05e)      /* 3e9 */
    TEST_F2I_S(5, fcvt.w.s, rne, 0xffffffff80000000, NV, 0xcf32d05e)
    TEST_F2I_S(6, fcvt.w.s, rne, 0x7fffffff, NV, S_QNAN)         /* NaN -> max */
    TEST_F2I_S(7, fcvt.w.s, rne, 0xffffffff80000000, NV, S_NINF)
    TEST_F2I_S(8, fcvt.w.s, rne, 0xffffffff80000000, 0, 0xcf000000) /* -2^31 exact */
    TEST_F2I_S(9, fcvt.wu.s, rne, 0, NV, S_NONE)                 /* negative -> 0 */
    TEST_F2I_S(10, fcvt.wu.s, rtz, 0, NX, 0xbf000000)             /* -0.5 truncates to 0 */
    TEST_F2I_S(11, fcvt.wu.s, rne, 0xffffffffee6b2800, 0, 0x4f6e6b28)  /* 4e9, sign-extended */
    TEST_F2I_S(12, fcvt.wu.s, rne, -1, NV, S_QNAN)
    TEST_F2I_S(13, fcvt.l.s, rne, 0x7fffffffffffffff, NV, 0x5f000000)  /* 2^63 */
    TEST_F2I_S(14, fcvt.l.s, rne, 0x8000000000000000, NV, S_NINF)
    TEST_F2I_S(15, fcvt.lu.s, rne, 0x8000000000000000, 0, 0x5f000000)
    TEST_F2I_S(16, fcvt.lu.s, rne, -1, NV, S_INF)
    TEST_F2I_D(17, fcvt.w.d, rne, 0x7fffffff, NV, 0x41e0000000000000) /* 2^31 */
    TEST_F2I_D(18, fcvt.w.d, rtz, 0xffffffff80000000, NX, 0xc1e0000000100000) /* -2^31-0.5 */
    TEST_F2I_D(19, fcvt.wu.d, rne, 0xffffffffffffffff, 0, 0x41efffffffe00000) /* 2^32-1 */
    TEST_F2I_D(20, fcvt.l.d, rne, 0x7fffffffffffffff, NV, D_QNAN)
    TEST_F2I_D(21, fcvt.l.d, rne, -3, 0, 0xc008000000000000)
    TEST_F2I_D(22, fcvt.lu.d, rne, 0, NV, D_NONE)
    TEST_F2I_D(23, fcvt.lu.d, rup, 1, NX, 0x3cb0000000000000)     /* tiny positive, up */

    /* ---- integer -> FP ---- */
    TEST_I2F_S(26, fcvt.s.w, rne, S_NONE, 0, -1)
    TEST_I2F_S(27, fcvt.s.w, rne, 0x4f000000, NX, 0x7fffffff)     /* rounds to 2^31 */
    TEST_I2F_S(28, fcvt.s.w, rne, S_ONE, 0, 0x100000001)          /* low 32 bits only */
    TEST_I2F_S(29, fcvt.s.wu, rne, 0x4f800000, NX, 0xffffffff)    /* 2^32 */
    TEST_I2F_S(30, fcvt.s.l, rne, 0x5f000000, NX, 0x7fffffffffffffff)
    TEST_I2F_S(31, fcvt.s.lu, rne, 0x5f800000, NX, -1)            /* 2^64 */
    TEST_I2F_S(32, fcvt.s.l, rtz, 0x5effffff, NX, 0x7fffffffffffffff)
    TEST_I2F_D_EXACT(33, fcvt.d.w, 0xc1e0000000000000, 0, 0x80000000)   /* -2^31 */
    TEST_I2F_D_EXACT(34, fcvt.d.wu, 0x41efffffffe00000, 0, 0xffffffff)
    TEST_I2F_D(35, fcvt.d.l, rne, 0x43e0000000000000, NX, 0x7fffffffffffffff)
    TEST_I2F_D(36, fcvt.d.lu, rne, 0x43f0000000000000, NX, -1)
    TEST_I2F_D(37, fcvt.d.l, rne, 0xc008000000000000, 0, -3)

    /* ---- between formats ---- */
    TEST_D1(38, fcvt.d.s, D_1_5, 0, 0xffffffff3fc00000)             /* operand is boxed */
    TEST_D1(39, fcvt.d.s, D_QNAN, NV, 0xffffffff7f800001)           /* sNaN */
    TEST_D2S(40, rne, 0x3dcccccd, NX, 0x3fb999999999999a)       /* 0.1 */
    TEST_D2S(41, rne, S_INF, OF | NX, D_MAX)
    TEST_D2S(42, rne, S_ZERO, UF | NX, 0x358dee7a4ad4b81f)      /* 1e-50 */
    TEST_D2S(43, rne, S_QNAN, 0, 0x7ff8000012345678)


    /* ---- static rounding modes: ties, non-ties, signed zero, overflow ---- */
    TEST_S2_RM(50, fadd.s, rne, S_ONE, NX, S_ONE, S_TIE)
    TEST_S2_RM(51, fadd.s, rtz, S_ONE, NX, S_ONE, S_TIE)
    TEST_S2_RM(52, fadd.s, rdn, S_ONE, NX, S_ONE, S_TIE)
    TEST_S2_RM(53, fadd.s, rup, 0x3f800001, NX, S_ONE, S_TIE)
    TEST_S2_RM(54, fadd.s, rmm, 0x3f800001, NX, S_ONE, S_TIE)      /* ties away from zero */
    TEST_S2_RM(55, fadd.s, rne, S_NONE, NX, S_NONE, S_NTIE)
    TEST_S2_RM(56, fadd.s, rtz, S_NONE, NX, S_NONE, S_NTIE)
    TEST_S2_RM(57, fadd.s, rdn, 0xbf800001, NX, S_NONE, S_NTIE)
    TEST_S2_RM(58, fadd.s, rup, S_NONE, NX, S_NONE, S_NTIE)
    TEST_S2_RM(59, fadd.s, rmm, 0xbf800001, NX, S_NONE, S_NTIE)
    TEST_S2_RM(60, fadd.s, rne, 0x3f800001, NX, S_ONE, S_3Q)       /* not a tie */
    TEST_S2_RM(61, fadd.s, rtz, S_ONE, NX, S_ONE, S_3Q)
    TEST_S2_RM(62, fadd.s, rmm, 0x3f800001, NX, S_ONE, S_3Q)
    TEST_S2_RM(63, fsub.s, rdn, S_NZERO, 0, S_ONE, S_ONE)          /* x - x = -0 in RDN */
    TEST_S2_RM(64, fsub.s, rup, S_ZERO, 0, S_ONE, S_ONE)
    TEST_S2_RM(65, fadd.s, rne, S_INF, OF | NX, S_MAX, S_MAX)
    TEST_S2_RM(66, fadd.s, rtz, S_MAX, OF | NX, S_MAX, S_MAX)      /* overflow to max */
    TEST_S2_RM(67, fadd.s, rdn, S_MAX, OF | NX, S_MAX, S_MAX)
    TEST_S2_RM(68, fadd.s, rup, S_INF, OF | NX, S_MAX, S_MAX)
    TEST_S2_RM(69, fadd.s, rmm, S_INF, OF | NX, S_MAX, S_MAX)
    TEST_S2_RM(70, fadd.s, rdn, S_NINF, OF | NX, 0xff7fffff, 0xff7fffff)
    TEST_S2_RM(71, fadd.s, rup, 0xff7fffff, OF | NX, 0xff7fffff, 0xff7fffff)
    TEST_S2_RM(72, fdiv.s, rtz, 0x3eaaaaaa, NX, S_ONE, S_THREE)
    TEST_S2_RM(73, fdiv.s, rup, 0x3eaaaaab, NX, S_ONE, S_THREE)
    TEST_S2_RM(74, fdiv.s, rdn, 0xbeaaaaab, NX, S_NONE, S_THREE)
    TEST_S2_RM(75, fmul.s, rup, S_MINS, UF | NX, S_MINS, S_HALF)   /* up from a tiny product */
    TEST_S1_RM(76, fsqrt.s, rup, 0x3fb504f4, NX, S_TWO)
    TEST_S1_RM(77, fsqrt.s, rdn, 0x3fb504f3, NX, S_TWO)
    TEST_S3_RM(78, fmadd.s, rup, 0x3f800001, NX, S_ONE, S_ONE, S_TIE)
    TEST_S3_RM(79, fmadd.s, rne, S_ONE, NX, S_ONE, S_ONE, S_TIE)
    TEST_D2_RM(80, fadd.d, rne, D_ONE, NX, D_ONE, D_TIE)
    TEST_D2_RM(81, fadd.d, rtz, D_ONE, NX, D_ONE, D_TIE)
    TEST_D2_RM(82, fadd.d, rdn, D_ONE, NX, D_ONE, D_TIE)
    TEST_D2_RM(83, fadd.d, rup, 0x3ff0000000000001, NX, D_ONE, D_TIE)
    TEST_D2_RM(84, fadd.d, rmm, 0x3ff0000000000001, NX, D_ONE, D_TIE)
    TEST_D2_RM(85, fsub.d, rdn, D_NZERO, 0, D_TWO, D_TWO)
    TEST_D2_RM(86, fadd.d, rtz, D_MAX, OF | NX, D_MAX, D_MAX)
    TEST_D2S(87, rtz, 0x3dcccccc, NX, 0x3fb999999999999a)
    TEST_D2S(88, rup, 0x3dcccccd, NX, 0x3fb999999999999a)
    TEST_D2S(89, rtz, S_MAX, OF | NX, D_MAX)
    /* conversions to integer: +2.5 and -2.5 */
    TEST_F2I_S(90, fcvt.w.s, rne, 2, NX, S_2_5)
    TEST_F2I_S(91, fcvt.w.s, rtz, 2, NX, S_2_5)
    TEST_F2I_S(92, fcvt.w.s, rdn, 2, NX, S_2_5)
    TEST_F2I_S(93, fcvt.w.s, rup, 3, NX, S_2_5)
    TEST_F2I_S(94, fcvt.w.s, rmm, 3, NX, S_2_5)
    TEST_F2I_S(95, fcvt.w.s, rne, -2, NX, 0xc0200000)
    TEST_F2I_S(96, fcvt.w.s, rtz, -2, NX, 0xc0200000)
    TEST_F2I_S(97, fcvt.w.s, rdn, -3, NX, 0xc0200000)
    TEST_F2I_S(98, fcvt.w.s, rup, -2, NX, 0xc0200000)
    TEST_F2I_S(99, fcvt.w.s, rmm, -3, NX, 0xc0200000)
    TEST_F2I_D(100, fcvt.l.d, rne, -2, NX, D_N1_5)
    TEST_F2I_D(101, fcvt.l.d, rtz, -1, NX, D_N1_5)
    TEST_F2I_D(102, fcvt.l.d, rdn, -2, NX, D_N1_5)
    TEST_F2I_D(103, fcvt.l.d, rup, -1, NX, D_N1_5)
    TEST_F2I_D(104, fcvt.l.d, rmm, -2, NX, D_N1_5)
    /* integer to FP: 2^24 + 1 is a tie in single precision */
    TEST_I2F_S(105, fcvt.s.w, rne, 0x4b800000, NX, 0x1000001)
    TEST_I2F_S(106, fcvt.s.w, rtz, 0x4b800000, NX, 0x1000001)
    TEST_I2F_S(107, fcvt.s.w, rdn, 0x4b800000, NX, 0x1000001)
    TEST_I2F_S(108, fcvt.s.w, rup, 0x4b800001, NX, 0x1000001)
    TEST_I2F_S(109, fcvt.s.w, rmm, 0x4b800001, NX, 0x1000001)
    TEST_I2F_S(110, fcvt.s.w, rdn, 0xcb800001, NX, -0x1000001)
    TEST_I2F_S(111, fcvt.s.wu, rtz, 0x4f7fffff, NX, 0xffffffff)

    /* ---- dynamic rounding mode: frm picks the mode for rm = dyn ---- */
    csrwi frm, 1                                    /* RTZ */
    TEST_S2_RM(120, fadd.s, dyn, S_ONE, NX, S_ONE, S_3Q)
    TEST_F2I_S(121, fcvt.w.s, dyn, 2, NX, 0x402ccccd)              /* 2.7 -> 2 */
    csrwi frm, 2                                    /* RDN */
    TEST_S2_RM(122, fadd.s, dyn, 0xbf800001, NX, S_NONE, S_NTIE)
    TEST_F2I_S(123, fcvt.w.s, dyn, -2, NX, 0xbf99999a)             /* -1.2 -> -2 */
    csrwi frm, 3                                    /* RUP */
    TEST_S2_RM(124, fadd.s, dyn, 0x3f800001, NX, S_ONE, S_TIE)
    TEST_D2_RM(125, fadd.d, dyn, 0x3ff0000000000001, NX, D_ONE, D_TIE)
    csrwi frm, 4                                    /* RMM */
    TEST_F2I_S(126, fcvt.w.s, dyn, 3, NX, S_2_5)
    TEST_S2_RM(127, fadd.s, dyn, 0xbf800001, NX, S_NONE, S_NTIE)
    csrwi frm, 0                                    /* RNE */
    TEST_F2I_S(128, fcvt.w.s, dyn, 2, NX, S_2_5)
    TEST_S2_RM(129, fadd.s, dyn, S_ONE, NX, S_ONE, S_TIE)
    /* the static field wins over frm */
    csrwi frm, 3
    TEST_S2_RM(130, fadd.s, rtz, S_ONE, NX, S_ONE, S_3Q)
    csrwi frm, 0

    /* ---- reserved rounding modes are illegal instructions ---- */
    FS_LOAD(fa1, S_ONE)
    FS_LOAD(fa2, S_ONE)
    EXPECT_TRAP(2f)
1:  .word 0x00c5d553                                /* fadd.s fa0, fa1, fa2 with rm = 5 */
    FAIL(131)
2:  CHECK_ILLEGAL(131, 1b)
    EXPECT_TRAP(4f)
3:  .word 0x00c5e553                                /* ... rm = 6 */
    FAIL(132)
4:  CHECK_ILLEGAL(132, 3b)
    csrwi frm, 5                                    /* frm = 5: dynamic ops become illegal */
    EXPECT_TRAP(6f)
5:  fadd.s fa0, fa1, fa2, dyn
    FAIL(133)
6:  CHECK_ILLEGAL(133, 5b)
    csrwi frm, 7
    EXPECT_TRAP(8f)
7:  fcvt.w.s a0, fa1, dyn
    FAIL(134)
8:  CHECK_ILLEGAL(134, 7b)
    /* ... but not ops without a rounding mode, nor ones with a static one */
    fmin.s fa0, fa1, fa2
    fsgnj.s fa0, fa1, fa2
    fadd.s fa0, fa1, fa2, rne
    fmv.x.w a0, fa0
    CHECK_REG(135, a0, S_TWO)
    csrwi frm, 0

    /* ---- fflags accumulate until software clears them ---- */
    FS_LOAD(fa1, S_ONE)
    FS_LOAD(fa2, S_ZERO)
    FS_LOAD(fa3, S_THREE)
    csrwi fflags, 0
    fdiv.s fa0, fa1, fa2                            /* DZ */
    fdiv.s fa0, fa1, fa3                            /* NX */
    fadd.s fa0, fa1, fa1                            /* exact: adds nothing */
    csrr a0, fflags
    CHECK_REG(140, a0, DZ | NX)
    csrrwi a0, fflags, 0
    CHECK_REG(141, a0, DZ | NX)
    csrr a0, fflags
    CHECK_REG(142, a0, 0)
    csrwi fflags, NV | OF                           /* software may set them too */
    fdiv.s fa0, fa1, fa3
    csrr a0, fflags
    CHECK_REG(143, a0, NV | OF | NX)
    csrwi fflags, 0

    /* ---- mstatus.FS: Off makes FP illegal; writing FP state makes it Dirty ---- */
    li a1, MSTATUS_FS
    csrc mstatus, a1
    EXPECT_TRAP(10f)
9:  fadd.s fa0, fa1, fa2
    FAIL(150)
10: CHECK_ILLEGAL(150, 9b)
    EXPECT_TRAP(12f)
11: csrr a0, fflags
    FAIL(151)
12: CHECK_ILLEGAL(151, 11b)
    EXPECT_TRAP(14f)
    la a1, fscratch
13: fld fa0, 0(a1)
    FAIL(152)
14: CHECK_ILLEGAL(152, 13b)
    EXPECT_TRAP(16f)
15: fmv.w.x fa0, zero
    FAIL(153)
16: CHECK_ILLEGAL(153, 15b)
    li a1, 0x2000                                   /* FS = Initial */
    csrs mstatus, a1
    csrr a0, mstatus
    srli a0, a0, 13
    andi a0, a0, 3
    CHECK_REG(154, a0, 1)
    fmv.w.x fa0, zero                               /* writes an f register */
    csrr a0, mstatus
    srli a1, a0, 13
    andi a1, a1, 3
    CHECK_REG(155, a1, 3)                           /* Dirty */
    srli a0, a0, 63
    CHECK_REG(156, a0, 1)                           /* SD summarizes it */
    li a1, MSTATUS_FS
    csrc mstatus, a1
    li a1, 0x4000                                   /* FS = Clean */
    csrs mstatus, a1
    csrwi fflags, NX                                /* writing fcsr is FP state too */
    csrr a0, mstatus
    srli a0, a0, 13
    andi a0, a0, 3
    CHECK_REG(157, a0, 3)

    j pass

    .data
    .balign 8
fscratch: .dword 0
TEST_END

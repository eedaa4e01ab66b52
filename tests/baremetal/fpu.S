/*
 * F and D, part 1: loads/stores and moves, NaN-boxing, arithmetic (.s and .d), the fused
 * multiply-adds, fmin/fmax with NaNs and signed zeros, compares, sign injection, fclass.
 * Each check compares the exact result bits and the exact fflags (see fp.h).
 */
#include "test.h"
#include "fp.h"

TEST_START
test_body:
    /* ---- loads, stores, moves; single values are NaN-boxed in the 64-bit registers ---- */
    la a1, fdata
    flw fa0, 0(a1)
    fmv.x.d a0, fa0
    CHECK_REG(1, a0, 0xffffffff3f800000)            /* flw boxes: upper 32 bits all ones */
    fmv.x.w a0, fa0
    CHECK_REG(2, a0, 0x3f800000)
    fld fa1, 8(a1)
    fmv.x.d a0, fa1
    CHECK_REG(3, a0, 0x400921fb54442d18)
    la a2, fbuf
    fsd fa1, 0(a2)
    ld a0, 0(a2)
    CHECK_REG(4, a0, 0x400921fb54442d18)
    li a3, -1
    sd a3, 8(a2)
    fsw fa0, 8(a2)                                  /* 32 bits only */
    ld a0, 8(a2)
    CHECK_REG(5, a0, 0xffffffff3f800000)
    li a3, 0x80000000
    fmv.w.x fa2, a3
    fmv.x.w a0, fa2                                 /* sign-extends into the integer reg */
    CHECK_REG(6, a0, 0xffffffff80000000)
    fmv.x.d a0, fa2
    CHECK_REG(7, a0, 0xffffffff80000000)            /* boxed */
    li a3, 0x123456789abcdef0
    fmv.d.x fa3, a3
    fmv.x.d a0, fa3
    CHECK_REG(8, a0, 0x123456789abcdef0)
    /* narrower transfers out of a non-boxed register take the low 32 bits as they are */
    fmv.x.w a0, fa3
    CHECK_REG(9, a0, 0xffffffff9abcdef0)
    fsw fa3, 0(a2)
    lwu a0, 0(a2)
    CHECK_REG(10, a0, 0x9abcdef0)
    /* a transfer does not canonicalize a signaling NaN */
    li a3, S_SNAN
    fmv.w.x fa4, a3
    fmv.x.w a0, fa4
    CHECK_REG(11, a0, S_SNAN)

    /* ---- NaN-boxing: a non-boxed single operand acts as the canonical NaN ---- */
    FD_LOAD(fa1, D_ONE)                             /* upper bits not all ones */
    FS_LOAD(fa2, S_ONE)
    csrwi fflags, 0
    fadd.s fa0, fa1, fa2
    FCHECK_S(12, S_QNAN, 0)                         /* quiet NaN: no NV */
    fmv.x.d a0, fa0
    CHECK_REG(13, a0, 0xffffffff7fc00000)           /* and the result is boxed */
    FD_LOAD(fa1, 0x00000000bf800000)                /* -1.0 but not boxed */
    fsgnj.s fa0, fa2, fa1                           /* sign from a canonical NaN: + */
    FCHECK_S(14, S_ONE, 0)
    fsgnj.s fa0, fa1, fa2
    FCHECK_S(15, S_QNAN, 0)
    fclass.s a0, fa1
    CHECK_REG(16, a0, 0x200)                        /* quiet NaN */
    li a3, 0xfffffffe3f800000                       /* one upper bit clear: still not boxed */
    fmv.d.x fa1, a3
    feq.s a0, fa1, fa1
    CHECK_REG(17, a0, 0)

    /* ---- single-precision arithmetic ---- */
    TEST_S2(20, fadd.s, S_THREE, 0, S_ONE, S_TWO)
    TEST_S2(21, fadd.s, S_ONE, NX, S_ONE, 0x33800000)       /* 1 + 2^-24: tie, to even */
    TEST_S2(22, fadd.s, S_QNAN, NV, S_INF, S_NINF)
    TEST_S2(23, fadd.s, S_INF, OF | NX, S_MAX, S_MAX)
    TEST_S2(24, fadd.s, S_QNAN, NV, S_SNAN, S_ONE)
    TEST_S2(25, fadd.s, S_QNAN, 0, 0x7fc12345, S_ONE)       /* NaN payloads not propagated */
    TEST_S2(26, fadd.s, S_ZERO, 0, S_NZERO, S_ZERO)         /* -0 + +0 = +0 in RNE */
    TEST_S2(27, fsub.s, S_TWO, 0, S_THREE, S_ONE)
    TEST_S2(28, fsub.s, S_ZERO, 0, S_ONE, S_ONE)
    TEST_S2(29, fsub.s, S_QNAN, NV, S_INF, S_INF)
    TEST_S2(30, fmul.s, S_THREE, 0, S_1_5, S_TWO)
    TEST_S2(31, fmul.s, S_QNAN, NV, S_ZERO, S_INF)
    TEST_S2(32, fmul.s, 0x00400000, 0, S_MINN, S_HALF)      /* exact subnormal: no UF */
    TEST_S2(33, fmul.s, S_ZERO, UF | NX, S_MINS, S_HALF)    /* tie to even: 0 */
    TEST_S2(34, fmul.s, S_MINN, NX, 0x00800001, 0x3f7ffffe) /* tiny only before rounding */
    TEST_S2(35, fmul.s, S_MINN, UF | NX, 0x00ffffff, S_HALF) /* tiny after rounding too */
    TEST_S2(36, fmul.s, S_NZERO, 0, S_NONE, S_ZERO)
    TEST_S2(37, fdiv.s, S_INF, DZ, S_ONE, S_ZERO)
    TEST_S2(38, fdiv.s, S_NINF, DZ, S_NONE, S_ZERO)
    TEST_S2(39, fdiv.s, S_QNAN, NV, S_ZERO, S_ZERO)
    TEST_S2(40, fdiv.s, 0x3eaaaaab, NX, S_ONE, S_THREE)
    TEST_S2(41, fdiv.s, S_TWO, 0, 0x40c00000, S_THREE)
    TEST_S2(42, fdiv.s, S_ZERO, 0, S_ONE, S_INF)
    TEST_S1(43, fsqrt.s, S_TWO, 0, S_FOUR)
    TEST_S1(44, fsqrt.s, 0x3fb504f3, NX, S_TWO)
    TEST_S1(45, fsqrt.s, S_QNAN, NV, S_NONE)
    TEST_S1(46, fsqrt.s, S_NZERO, 0, S_NZERO)                /* sqrt(-0) = -0, valid */
    TEST_S1(47, fsqrt.s, S_INF, 0, S_INF)

    /* ---- double-precision arithmetic ---- */
    TEST_D2(50, fadd.d, D_THREE, 0, D_ONE, D_TWO)
    TEST_D2(51, fadd.d, D_ONE, NX, D_ONE, 0x3ca0000000000000)   /* 1 + 2^-53: tie */
    TEST_D2(52, fadd.d, D_QNAN, NV, D_INF, D_NINF)
    TEST_D2(53, fadd.d, D_INF, OF | NX, D_MAX, D_MAX)
    TEST_D2(54, fadd.d, D_QNAN, NV, D_SNAN, D_ONE)
    TEST_D2(55, fsub.d, D_TWO, 0, D_THREE, D_ONE)
    TEST_D2(56, fsub.d, D_QNAN, NV, D_NINF, D_NINF)
    TEST_D2(57, fmul.d, D_THREE, 0, D_1_5, D_TWO)
    TEST_D2(58, fmul.d, 0x0008000000000000, 0, D_MINN, D_HALF)
    TEST_D2(59, fmul.d, D_ZERO, UF | NX, D_MINS, D_HALF)
    TEST_D2(60, fmul.d, D_QNAN, NV, D_INF, D_ZERO)
    TEST_D2(61, fdiv.d, D_INF, DZ, D_ONE, D_ZERO)
    TEST_D2(62, fdiv.d, D_QNAN, NV, D_ZERO, D_ZERO)
    TEST_D2(63, fdiv.d, 0x3fd5555555555555, NX, D_ONE, D_THREE)
    TEST_D2(64, fdiv.d, D_QNAN, NV, D_INF, D_NINF)
    TEST_D1(65, fsqrt.d, D_TWO, 0, D_FOUR)
    TEST_D1(66, fsqrt.d, 0x3ff6a09e667f3bcd, NX, D_TWO)
    TEST_D1(67, fsqrt.d, D_QNAN, NV, D_NONE)
    TEST_D1(68, fsqrt.d, D_NZERO, 0, D_NZERO)

    /* ---- fused multiply-add: one rounding ---- */
    TEST_S3(70, fmadd.s, 0x40e00000, 0, S_TWO, S_THREE, S_ONE)      /* 2*3+1 = 7 */
    TEST_S3(71, fmsub.s, 0x40a00000, 0, S_TWO, S_THREE, S_ONE)      /* 2*3-1 = 5 */
    TEST_S3(72, fnmsub.s, 0xc0a00000, 0, S_TWO, S_THREE, S_ONE)     /* -(2*3)+1 = -5 */
    TEST_S3(73, fnmadd.s, 0xc0e00000, 0, S_TWO, S_THREE, S_ONE)     /* -(2*3)-1 = -7 */
    /* (1+2^-23)(1-2^-23) - 1 = -2^-46 exactly; a separate multiply would round to 0 */
    TEST_S3(74, fmadd.s, 0xa8800000, 0, 0x3f800001, 0x3f7ffffe, S_NONE)
    /* inf * 0 is invalid even when the addend is a quiet NaN */
    TEST_S3(75, fmadd.s, S_QNAN, NV, S_INF, S_ZERO, S_QNAN)
    TEST_S3(76, fmadd.s, S_QNAN, 0, S_ONE, S_TWO, S_QNAN)
    TEST_S3(77, fmadd.s, S_QNAN, NV, S_INF, S_ONE, S_NINF)
    TEST_D3(78, fmadd.d, 0x401c000000000000, 0, D_TWO, D_THREE, D_ONE)
    TEST_D3(79, fmsub.d, 0x4014000000000000, 0, D_TWO, D_THREE, D_ONE)
    TEST_D3(80, fnmsub.d, 0xc014000000000000, 0, D_TWO, D_THREE, D_ONE)
    TEST_D3(81, fnmadd.d, 0xc01c000000000000, 0, D_TWO, D_THREE, D_ONE)
    TEST_D3(82, fmadd.d, 0xb970000000000000, 0, 0x3ff0000000000001, 0x3feffffffffffffe, D_NONE)
    TEST_D3(83, fmadd.d, D_QNAN, NV, D_ZERO, D_NINF, D_QNAN)

    /* ---- fmin / fmax: -0 < +0; one quiet NaN is ignored; sNaN raises NV ---- */
    TEST_S2(85, fmin.s, S_ONE, 0, S_ONE, S_TWO)
    TEST_S2(86, fmax.s, S_TWO, 0, S_ONE, S_TWO)
    TEST_S2(87, fmin.s, S_NZERO, 0, S_ZERO, S_NZERO)
    TEST_S2(88, fmax.s, S_ZERO, 0, S_NZERO, S_ZERO)
    TEST_S2(89, fmin.s, S_ONE, 0, S_QNAN, S_ONE)
    TEST_S2(90, fmax.s, S_NINF, 0, S_NINF, S_QNAN)
    TEST_S2(91, fmin.s, S_ONE, NV, S_SNAN, S_ONE)
    TEST_S2(92, fmax.s, S_QNAN, 0, S_QNAN, 0x7fc00001)           /* both NaN: canonical */
    TEST_S2(93, fmax.s, S_QNAN, NV, S_SNAN, S_SNAN)
    TEST_D2(94, fmin.d, D_NZERO, 0, D_ZERO, D_NZERO)
    TEST_D2(95, fmax.d, D_ZERO, 0, D_ZERO, D_NZERO)
    TEST_D2(96, fmin.d, D_NONE, 0, D_QNAN, D_NONE)
    TEST_D2(97, fmax.d, D_ONE, NV, D_ONE, D_SNAN)
    TEST_D2(98, fmin.d, D_QNAN, 0, D_QNAN, D_QNAN)

    /* ---- compares: feq is quiet (NV only for sNaN), flt/fle signal on any NaN ---- */
    TEST_CMP_S(100, feq.s, 1, 0, S_ONE, S_ONE)
    TEST_CMP_S(101, feq.s, 1, 0, S_NZERO, S_ZERO)
    TEST_CMP_S(102, feq.s, 0, 0, S_QNAN, S_ONE)
    TEST_CMP_S(103, feq.s, 0, NV, S_SNAN, S_ONE)
    TEST_CMP_S(104, flt.s, 1, 0, S_ONE, S_TWO)
    TEST_CMP_S(105, flt.s, 0, 0, S_NZERO, S_ZERO)
    TEST_CMP_S(106, flt.s, 0, NV, S_QNAN, S_ONE)
    TEST_CMP_S(107, fle.s, 1, 0, S_NZERO, S_ZERO)
    TEST_CMP_S(108, fle.s, 0, NV, S_ONE, S_QNAN)
    TEST_CMP_S(109, fle.s, 1, 0, S_NINF, S_NINF)
    TEST_CMP_D(110, feq.d, 1, 0, D_ONE, D_ONE)
    TEST_CMP_D(111, feq.d, 0, 0, D_QNAN, D_QNAN)
    TEST_CMP_D(112, feq.d, 0, NV, D_SNAN, D_ONE)
    TEST_CMP_D(113, flt.d, 1, 0, D_NONE, D_ONE)
    TEST_CMP_D(114, flt.d, 0, NV, D_ONE, D_QNAN)
    TEST_CMP_D(115, fle.d, 1, 0, D_ONE, D_ONE)
    TEST_CMP_D(116, fle.d, 0, NV, D_QNAN, D_ONE)

    /* ---- sign injection: bit patterns pass through, NaNs included ---- */
    TEST_S2(120, fsgnj.s, S_NONE, 0, S_ONE, 0xc0000000)
    TEST_S2(121, fsgnjn.s, S_ONE, 0, S_ONE, 0xc0000000)
    TEST_S2(122, fsgnjx.s, S_ONE, 0, S_NONE, 0xc0000000)
    TEST_S2(123, fsgnjx.s, S_NONE, 0, S_NONE, S_TWO)
    TEST_S2(124, fsgnjn.s, 0xffc00001, 0, 0x7fc00001, 0x7fc00001)   /* fneg of a NaN */
    TEST_S2(125, fsgnj.s, 0x7f800001, 0, 0xff800001, S_ONE)         /* sNaN, no NV */
    TEST_D2(126, fsgnj.d, D_NONE, 0, D_ONE, 0x8000000000000000)
    TEST_D2(127, fsgnjn.d, D_NONE, 0, D_ONE, D_ONE)
    TEST_D2(128, fsgnjx.d, D_ONE, 0, D_NONE, D_NONE)
    TEST_D2(129, fsgnjx.d, 0xfff8000000000001, 0, 0x7ff8000000000001, D_NONE)

    /* ---- fclass: one bit per class ---- */
    TEST_CLASS_S(130, 0x001, S_NINF)
    TEST_CLASS_S(131, 0x002, S_NONE)
    TEST_CLASS_S(132, 0x004, 0x807fffff)            /* negative subnormal */
    TEST_CLASS_S(133, 0x008, S_NZERO)
    TEST_CLASS_S(134, 0x010, S_ZERO)
    TEST_CLASS_S(135, 0x020, S_MINS)
    TEST_CLASS_S(136, 0x040, S_MINN)
    TEST_CLASS_S(137, 0x080, S_INF)
    TEST_CLASS_S(138, 0x100, S_SNAN)
    TEST_CLASS_S(139, 0x200, S_QNAN)
    TEST_CLASS_D(140, 0x001, D_NINF)
    TEST_CLASS_D(141, 0x002, D_NONE)
    TEST_CLASS_D(142, 0x004, 0x800fffffffffffff)
    TEST_CLASS_D(143, 0x008, D_NZERO)
    TEST_CLASS_D(144, 0x010, D_ZERO)
    TEST_CLASS_D(145, 0x020, D_MINS)
    TEST_CLASS_D(146, 0x040, D_MAX)
    TEST_CLASS_D(147, 0x080, D_INF)
    TEST_CLASS_D(148, 0x100, D_SNAN)
    TEST_CLASS_D(149, 0x200, 0xfff8000000000000)    /* quiet NaN, negative sign */

    j pass

    .data
    .balign 8
fdata:
    .word 0x3f800000, 0                             /* +0: 1.0f */
    .dword 0x400921fb54442d18                       /* +8: pi */
fbuf:
    .dword 0, 0
TEST_END

/*
 * F/D unit tests: each case runs one instruction through rv_fpu_exec and checks the exact
 * result bits and fflags. Expected values were cross-checked against QEMU (run this binary
 * with --dump-cases to get the table in a form a bare-metal harness can replay).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "riscv/fpu.h"

#define NV 16u
#define DZ 8u
#define OF 4u
#define UF 2u
#define NX 1u

enum { RNE, RTZ, RDN, RUP, RMM, DYN = 7 };

/* Register convention: FP sources f1 f2 f3, integer source x11, results f4 or x10. */
#define OPFP(f5, fmt, rm, rd, rs1, rs2) \
    (0x53u | (rd) << 7 | (uint32_t)(rm) << 12 | (rs1) << 15 | (rs2) << 20 | (fmt) << 25 | (uint32_t)(f5) << 27)
#define R4(op, fmt, rm) (op | 4u << 7 | (uint32_t)(rm) << 12 | 1u << 15 | 2u << 20 | (fmt) << 25 | 3u << 27)

#define FADD(fmt, rm) OPFP(0x00, fmt, rm, 4, 1, 2)
#define FSUB(fmt, rm) OPFP(0x01, fmt, rm, 4, 1, 2)
#define FMUL(fmt, rm) OPFP(0x02, fmt, rm, 4, 1, 2)
#define FDIV(fmt, rm) OPFP(0x03, fmt, rm, 4, 1, 2)
#define FSQRT(fmt, rm) OPFP(0x0b, fmt, rm, 4, 1, 0)
#define FSGNJ(fmt) OPFP(0x04, fmt, 0, 4, 1, 2)
#define FSGNJN(fmt) OPFP(0x04, fmt, 1, 4, 1, 2)
#define FSGNJX(fmt) OPFP(0x04, fmt, 2, 4, 1, 2)
#define FMIN(fmt) OPFP(0x05, fmt, 0, 4, 1, 2)
#define FMAX(fmt) OPFP(0x05, fmt, 1, 4, 1, 2)
#define FEQ(fmt) OPFP(0x14, fmt, 2, 10, 1, 2)
#define FLT(fmt) OPFP(0x14, fmt, 1, 10, 1, 2)
#define FLE(fmt) OPFP(0x14, fmt, 0, 10, 1, 2)
#define FCLASS(fmt) OPFP(0x1c, fmt, 1, 10, 1, 0)
#define FMV_X(fmt) OPFP(0x1c, fmt, 0, 10, 1, 0)
#define FMV_F(fmt) OPFP(0x1e, fmt, 0, 4, 11, 0)
#define FCVT_W(fmt, rm) OPFP(0x18, fmt, rm, 10, 1, 0)
#define FCVT_WU(fmt, rm) OPFP(0x18, fmt, rm, 10, 1, 1)
#define FCVT_L(fmt, rm) OPFP(0x18, fmt, rm, 10, 1, 2)
#define FCVT_LU(fmt, rm) OPFP(0x18, fmt, rm, 10, 1, 3)
#define FCVT_FROM_W(fmt, rm) OPFP(0x1a, fmt, rm, 4, 11, 0)
#define FCVT_FROM_WU(fmt, rm) OPFP(0x1a, fmt, rm, 4, 11, 1)
#define FCVT_FROM_L(fmt, rm) OPFP(0x1a, fmt, rm, 4, 11, 2)
#define FCVT_FROM_LU(fmt, rm) OPFP(0x1a, fmt, rm, 4, 11, 3)
#define FCVT_S_D(rm) OPFP(0x08, S, rm, 4, 1, 1)
#define FCVT_D_S(rm) OPFP(0x08, D, rm, 4, 1, 0)
#define FMADD(fmt, rm) R4(0x43u, fmt, rm)
#define FMSUB(fmt, rm) R4(0x47u, fmt, rm)
#define FNMSUB(fmt, rm) R4(0x4bu, fmt, rm)
#define FNMADD(fmt, rm) R4(0x4fu, fmt, rm)
#define S 0u
#define D 1u

/* NaN-boxed single */
#define B(v) (0xffffffff00000000ull | (uint32_t)(v))

/* single-precision constants */
#define S_1 B(0x3f800000)
#define S_M1 B(0xbf800000)
#define S_2 B(0x40000000)
#define S_M2 B(0xc0000000)
#define S_3 B(0x40400000)
#define S_HALF B(0x3f000000)
#define S_2P5 B(0x40200000)
#define S_M2P5 B(0xc0200000)
#define S_M0P3 B(0xbe99999a)
#define S_M0P7 B(0xbf333333)
#define S_0 B(0x00000000)
#define S_M0 B(0x80000000)
#define S_MAX B(0x7f7fffff)
#define S_MMAX B(0xff7fffff)
#define S_INF B(0x7f800000)
#define S_MINF B(0xff800000)
#define S_QNAN B(0x7fc00000)
#define S_SNAN B(0x7f800001)
#define S_TIE B(0x33800000)     /* 2^-24: half an ulp of 1.0 */
#define S_MTIE B(0xb3800000)

/* double-precision constants */
#define D_1 0x3ff0000000000000ull
#define D_M1 0xbff0000000000000ull
#define D_2 0x4000000000000000ull
#define D_3 0x4008000000000000ull
#define D_4 0x4010000000000000ull
#define D_HALF 0x3fe0000000000000ull
#define D_0 0x0000000000000000ull
#define D_M0 0x8000000000000000ull
#define D_MAX 0x7fefffffffffffffull
#define D_INF 0x7ff0000000000000ull
#define D_MINF 0xfff0000000000000ull
#define D_QNAN 0x7ff8000000000000ull
#define D_SNAN 0x7ff0000000000001ull
#define D_MINNORM 0x0010000000000000ull
#define D_MINSUB 0x0000000000000001ull
#define D_2P31 0x41e0000000000000ull
#define D_M2P31 0xc1e0000000000000ull
#define D_2P32 0x41f0000000000000ull
#define D_2P63 0x43e0000000000000ull
#define D_M2P63 0xc3e0000000000000ull
#define D_2P64 0x43f0000000000000ull

struct fcase {
    const char *name;
    uint32_t insn;
    uint64_t a, b, c, xin;
    uint32_t frm;
    int kind;           /* 0: result in f4, 1: result in x10, 2: illegal */
    uint64_t want;
    uint32_t flags;
};

#define F3(nm, i, a, b, c, frm, w, fl) { nm, i, a, b, c, 0, frm, 0, w, fl }
#define F2(nm, i, a, b, w, fl) F3(nm, i, a, b, 0, 0, w, fl)
#define F1(nm, i, a, w, fl) F3(nm, i, a, 0, 0, 0, w, fl)
#define X2(nm, i, a, b, w, fl) { nm, i, a, b, 0, 0, 0, 1, w, fl }
#define X1(nm, i, a, w, fl) X2(nm, i, a, 0, w, fl)
#define XD(nm, i, a, frm, w, fl) { nm, i, a, 0, 0, 0, frm, 1, w, fl }
#define FI(nm, i, x, w, fl) { nm, i, 0, 0, 0, x, 0, 0, w, fl }
#define ILL(nm, i, frm) { nm, i, S_1, S_1, S_1, 1, frm, 2, 0, 0 }

static const struct fcase cases[] = {
    /* exact results raise nothing */
    F2("fadd.s exact", FADD(S, RNE), S_1, S_2, S_3, 0),
    F2("fadd.d exact", FADD(D, RNE), D_1, D_2, D_3, 0),
    F2("fsub.d x-x rne", FSUB(D, RNE), D_1, D_1, D_0, 0),
    F2("fsub.d x-x rdn is -0", FSUB(D, RDN), D_1, D_1, D_M0, 0),
    F2("fadd.s -0+-0", FADD(S, RNE), S_M0, S_M0, S_M0, 0),
    F2("fadd.s +0+-0", FADD(S, RNE), S_0, S_M0, S_0, 0),
    F2("fadd.s +0+-0 rdn", FADD(S, RDN), S_0, S_M0, S_M0, 0),

    /* 1 + 2^-24 is a tie in single precision */
    F2("fadd.s tie rne", FADD(S, RNE), S_1, S_TIE, S_1, NX),
    F2("fadd.s tie rtz", FADD(S, RTZ), S_1, S_TIE, S_1, NX),
    F2("fadd.s tie rdn", FADD(S, RDN), S_1, S_TIE, S_1, NX),
    F2("fadd.s tie rup", FADD(S, RUP), S_1, S_TIE, B(0x3f800001), NX),
    F2("fadd.s tie rmm", FADD(S, RMM), S_1, S_TIE, B(0x3f800001), NX),
    F2("fadd.s -tie rne", FADD(S, RNE), S_M1, S_MTIE, S_M1, NX),
    F2("fadd.s -tie rtz", FADD(S, RTZ), S_M1, S_MTIE, S_M1, NX),
    F2("fadd.s -tie rdn", FADD(S, RDN), S_M1, S_MTIE, B(0xbf800001), NX),
    F2("fadd.s -tie rup", FADD(S, RUP), S_M1, S_MTIE, S_M1, NX),
    F2("fadd.s -tie rmm", FADD(S, RMM), S_M1, S_MTIE, B(0xbf800001), NX),
    /* odd significand: the tie goes up under RNE */
    F2("fadd.s odd tie rne", FADD(S, RNE), B(0x3f800001), S_TIE, B(0x3f800002), NX),
    F3("fadd.s tie dyn rup", FADD(S, DYN), S_1, S_TIE, 0, RUP, B(0x3f800001), NX),
    F3("fadd.s tie dyn rmm", FADD(S, DYN), S_1, S_TIE, 0, RMM, B(0x3f800001), NX),
    F3("fadd.s tie dyn rtz", FADD(S, DYN), S_1, S_TIE, 0, RTZ, S_1, NX),
    F2("fsub.d 1 - 2^-54 rne", FSUB(D, RNE), D_1, 0x3c90000000000000ull, D_1, NX),
    F2("fsub.d 1 - 2^-54 rtz", FSUB(D, RTZ), D_1, 0x3c90000000000000ull, 0x3fefffffffffffffull, NX),
    F2("fadd.d max+max rne", FADD(D, RNE), D_MAX, D_MAX, D_INF, OF | NX),
    F2("fadd.d max+max rtz", FADD(D, RTZ), D_MAX, D_MAX, D_MAX, OF | NX),
    F2("fadd.s inf-inf", FADD(S, RNE), S_INF, S_MINF, S_QNAN, NV),
    F2("fsub.d inf-inf", FSUB(D, RNE), D_INF, D_INF, D_QNAN, NV),
    F2("fadd.s inf+1", FADD(S, RNE), S_INF, S_1, S_INF, 0),
    F2("fadd.s qnan+1", FADD(S, RNE), S_QNAN, S_1, S_QNAN, 0),
    F2("fadd.s snan+1", FADD(S, RNE), S_1, S_SNAN, S_QNAN, NV),
    F2("fadd.d payload qnan is canonicalised", FADD(D, RNE), 0xfff8000000000123ull, D_1, D_QNAN, 0),
    F2("fadd.d snan+qnan", FADD(D, RNE), D_SNAN, D_QNAN, D_QNAN, NV),
    F2("fadd.d subnormals exact", FADD(D, RNE), D_MINSUB, D_MINSUB, 0x2ull, 0),
    F2("fsub.s improperly boxed input", FSUB(S, RNE), 0x000000003f800000ull, S_1, S_QNAN, 0),
    F2("fadd.s improperly boxed second input", FADD(S, RNE), S_1, 0xfffffffe3f800000ull, S_QNAN, 0),

    /* overflow: infinity or the largest finite value depending on mode and sign */
    F2("fmul.s ovf rne", FMUL(S, RNE), S_MAX, S_2, S_INF, OF | NX),
    F2("fmul.s ovf rtz", FMUL(S, RTZ), S_MAX, S_2, S_MAX, OF | NX),
    F2("fmul.s ovf rdn", FMUL(S, RDN), S_MAX, S_2, S_MAX, OF | NX),
    F2("fmul.s ovf rup", FMUL(S, RUP), S_MAX, S_2, S_INF, OF | NX),
    F2("fmul.s ovf rmm", FMUL(S, RMM), S_MAX, S_2, S_INF, OF | NX),
    F2("fmul.s -ovf rne", FMUL(S, RNE), S_MAX, S_M2, S_MINF, OF | NX),
    F2("fmul.s -ovf rtz", FMUL(S, RTZ), S_MAX, S_M2, S_MMAX, OF | NX),
    F2("fmul.s -ovf rdn", FMUL(S, RDN), S_MAX, S_M2, S_MINF, OF | NX),
    F2("fmul.s -ovf rup", FMUL(S, RUP), S_MAX, S_M2, S_MMAX, OF | NX),
    F2("fmul.d ovf rdn", FMUL(D, RDN), D_MAX, D_2, D_MAX, OF | NX),
    F2("fmul.d ovf rup", FMUL(D, RUP), D_MAX, D_2, D_INF, OF | NX),

    /* underflow: tiny and inexact; an exact subnormal raises nothing */
    F2("fmul.d exact subnormal", FMUL(D, RNE), D_MINNORM, D_HALF, 0x0008000000000000ull, 0),
    F2("fmul.d minsub/2 rne", FMUL(D, RNE), D_MINSUB, D_HALF, D_0, UF | NX),
    F2("fmul.d minsub/2 rtz", FMUL(D, RTZ), D_MINSUB, D_HALF, D_0, UF | NX),
    F2("fmul.d minsub/2 rup", FMUL(D, RUP), D_MINSUB, D_HALF, D_MINSUB, UF | NX),
    F2("fmul.d minsub/2 rmm", FMUL(D, RMM), D_MINSUB, D_HALF, D_MINSUB, UF | NX),
    F2("fmul.d -minsub/2 rdn", FMUL(D, RDN), D_MINSUB, 0xbfe0000000000000ull, 0x8000000000000001ull,
       UF | NX),
    F2("fmul.s subnormal rounding", FMUL(S, RNE), B(0x00000003), S_HALF, B(0x00000002), UF | NX),
    F2("fmul.s inf*0", FMUL(S, RNE), S_INF, S_0, S_QNAN, NV),
    F2("fmul.d -0*2", FMUL(D, RNE), D_M0, D_2, D_M0, 0),
    F2("fmul.d snan*0", FMUL(D, RNE), D_SNAN, D_0, D_QNAN, NV),

    F2("fdiv.d 1/3 rne", FDIV(D, RNE), D_1, D_3, 0x3fd5555555555555ull, NX),
    F2("fdiv.d 1/3 rtz", FDIV(D, RTZ), D_1, D_3, 0x3fd5555555555555ull, NX),
    F2("fdiv.d 1/3 rdn", FDIV(D, RDN), D_1, D_3, 0x3fd5555555555555ull, NX),
    F2("fdiv.d 1/3 rup", FDIV(D, RUP), D_1, D_3, 0x3fd5555555555556ull, NX),
    F2("fdiv.d 1/3 rmm", FDIV(D, RMM), D_1, D_3, 0x3fd5555555555555ull, NX),
    F2("fdiv.d -1/3 rdn", FDIV(D, RDN), D_M1, D_3, 0xbfd5555555555556ull, NX),
    F2("fdiv.d -1/3 rup", FDIV(D, RUP), D_M1, D_3, 0xbfd5555555555555ull, NX),
    F2("fdiv.s 1/3 rne", FDIV(S, RNE), S_1, S_3, B(0x3eaaaaab), NX),
    F2("fdiv.s 1/3 rtz", FDIV(S, RTZ), S_1, S_3, B(0x3eaaaaaa), NX),
    F2("fdiv.s 3/2 exact", FDIV(S, RNE), S_3, S_2, B(0x3fc00000), 0),
    F2("fdiv.s 1/0", FDIV(S, RNE), S_1, S_0, S_INF, DZ),
    F2("fdiv.s -1/+0", FDIV(S, RNE), S_M1, S_0, S_MINF, DZ),
    F2("fdiv.d 1/-0", FDIV(D, RNE), D_1, D_M0, D_MINF, DZ),
    F2("fdiv.s 0/0", FDIV(S, RNE), S_0, S_0, S_QNAN, NV),
    F2("fdiv.d inf/inf", FDIV(D, RNE), D_INF, D_MINF, D_QNAN, NV),
    F2("fdiv.d 1/inf", FDIV(D, RNE), D_1, D_MINF, D_M0, 0),
    F2("fdiv.d max/0.5", FDIV(D, RNE), D_MAX, D_HALF, D_INF, OF | NX),
    F2("fdiv.d minnorm/4", FDIV(D, RNE), D_MINNORM, D_4, 0x0004000000000000ull, 0),

    F1("fsqrt.d 4", FSQRT(D, RNE), D_4, D_2, 0),
    F1("fsqrt.d 2 rne", FSQRT(D, RNE), D_2, 0x3ff6a09e667f3bcdull, NX),
    F1("fsqrt.d 2 rtz", FSQRT(D, RTZ), D_2, 0x3ff6a09e667f3bccull, NX),
    F1("fsqrt.d 2 rdn", FSQRT(D, RDN), D_2, 0x3ff6a09e667f3bccull, NX),
    F1("fsqrt.d 2 rup", FSQRT(D, RUP), D_2, 0x3ff6a09e667f3bcdull, NX),
    F1("fsqrt.d 2 rmm", FSQRT(D, RMM), D_2, 0x3ff6a09e667f3bcdull, NX),
    F1("fsqrt.s 2 rne", FSQRT(S, RNE), S_2, B(0x3fb504f3), NX),
    F1("fsqrt.s 2 rup", FSQRT(S, RUP), S_2, B(0x3fb504f4), NX),
    F1("fsqrt.d minsub", FSQRT(D, RNE), D_MINSUB, 0x1e60000000000000ull, 0),
    F1("fsqrt.s -1", FSQRT(S, RNE), S_M1, S_QNAN, NV),
    F1("fsqrt.s -0", FSQRT(S, RNE), S_M0, S_M0, 0),
    F1("fsqrt.d inf", FSQRT(D, RNE), D_INF, D_INF, 0),
    F1("fsqrt.d -inf", FSQRT(D, RNE), D_MINF, D_QNAN, NV),
    F1("fsqrt.d snan", FSQRT(D, RNE), D_SNAN, D_QNAN, NV),

    /*
     * (1 + 2^-27)^2 - (1 + 2^-26) = 2^-54 exactly when fused; a separate multiply rounds the
     * 2^-54 away and the subtraction gives 0.
     */
    F3("fmadd.d single rounding", FMADD(D, RNE), 0x3ff0000002000000ull, 0x3ff0000002000000ull,
       0xbff0000004000000ull, 0, 0x3c90000000000000ull, 0),
    F2("fmul.d same product rounds", FMUL(D, RNE), 0x3ff0000002000000ull, 0x3ff0000002000000ull,
       0x3ff0000004000000ull, NX),
    F3("fmadd.s single rounding", FMADD(S, RNE), B(0x3f800800), B(0x3f800800), B(0xbf801000), 0,
       B(0x33800000), 0),
    F3("fmadd.d 2*3+1", FMADD(D, RNE), D_2, D_3, D_1, 0, 0x401c000000000000ull, 0),
    F3("fmsub.d 2*3-1", FMSUB(D, RNE), D_2, D_3, D_1, 0, 0x4014000000000000ull, 0),
    F3("fnmsub.d -(2*3)+1", FNMSUB(D, RNE), D_2, D_3, D_1, 0, 0xc014000000000000ull, 0),
    F3("fnmadd.d -(2*3)-1", FNMADD(D, RNE), D_2, D_3, D_1, 0, 0xc01c000000000000ull, 0),
    F3("fmadd.s 2*3+1", FMADD(S, RNE), S_2, S_3, S_1, 0, B(0x40e00000), 0),
    F3("fnmadd.s -(2*3)-1", FNMADD(S, RNE), S_2, S_3, S_1, 0, B(0xc0e00000), 0),
    F3("fmadd.s inf*0+qnan", FMADD(S, RNE), S_INF, S_0, S_QNAN, 0, S_QNAN, NV),
    F3("fmadd.d 0*inf+qnan", FMADD(D, RNE), D_0, D_INF, D_QNAN, 0, D_QNAN, NV),
    F3("fmadd.s qnan*1+1", FMADD(S, RNE), S_QNAN, S_1, S_1, 0, S_QNAN, 0),
    F3("fmadd.s 1*1+snan", FMADD(S, RNE), S_1, S_1, S_SNAN, 0, S_QNAN, NV),
    F3("fmadd.d inf*1-inf", FMADD(D, RNE), D_INF, D_1, D_MINF, 0, D_QNAN, NV),
    F3("fmsub.d inf*1-inf", FMSUB(D, RNE), D_INF, D_1, D_INF, 0, D_QNAN, NV),
    F3("fmadd.d 1*1-1 rne", FMADD(D, RNE), D_1, D_1, D_M1, 0, D_0, 0),
    F3("fmadd.d 1*1-1 rdn", FMADD(D, RDN), D_1, D_1, D_M1, 0, D_M0, 0),
    F3("fmadd.d 0*1-0 rne", FMADD(D, RNE), D_0, D_1, D_M0, 0, D_0, 0),
    F3("fmadd.d 0*1-0 rdn", FMADD(D, RDN), D_0, D_1, D_M0, 0, D_M0, 0),
    F3("fnmadd.d -(0*1)-0", FNMADD(D, RNE), D_0, D_1, D_0, 0, D_M0, 0),
    F3("fmadd.d 0*1+2 keeps c", FMADD(D, RNE), D_0, D_1, D_2, 0, D_2, 0),
    F3("fmadd.d max*2-max", FMADD(D, RNE), D_MAX, D_2, 0xffefffffffffffffull, 0, D_MAX, 0),
    F3("fmadd.d ovf rtz", FMADD(D, RTZ), D_MAX, D_2, D_1, 0, D_MAX, OF | NX),
    F3("fmadd.d underflow", FMADD(D, RNE), D_MINSUB, D_HALF, D_0, 0, D_0, UF | NX),
    F3("fmadd.d tiny addend rup", FMADD(D, RUP), D_1, D_1, D_MINSUB, 0, 0x3ff0000000000001ull, NX),
    F3("fmadd.d tiny addend dyn rdn", FMADD(D, DYN), D_1, D_1, 0x8000000000000001ull, RDN,
       0x3fefffffffffffffull, NX),

    F2("fsgnj.s", FSGNJ(S), S_1, S_M2, S_M1, 0),
    F2("fsgnjn.s", FSGNJN(S), S_1, S_M2, S_1, 0),
    F2("fsgnjx.s", FSGNJX(S), S_M1, S_M2, S_1, 0),
    F2("fsgnj.d", FSGNJ(D), D_1, D_MINF, D_M1, 0),
    F2("fsgnjn.d", FSGNJN(D), D_SNAN, D_1, 0xfff0000000000001ull, 0),
    F2("fsgnjx.d", FSGNJX(D), D_M1, D_1, D_M1, 0),
    F2("fsgnj.s improperly boxed", FSGNJ(S), 0x000000003f800000ull, S_M1, B(0xffc00000), 0),

    F2("fmin.s +0 -0", FMIN(S), S_0, S_M0, S_M0, 0),
    F2("fmin.s -0 +0", FMIN(S), S_M0, S_0, S_M0, 0),
    F2("fmax.s -0 +0", FMAX(S), S_M0, S_0, S_0, 0),
    F2("fmax.d +0 -0", FMAX(D), D_0, D_M0, D_0, 0),
    F2("fmin.s qnan 1", FMIN(S), S_QNAN, S_1, S_1, 0),
    F2("fmax.s 1 qnan", FMAX(S), S_1, S_QNAN, S_1, 0),
    F2("fmin.s snan 1", FMIN(S), S_SNAN, S_1, S_1, NV),
    F2("fmax.d 2 snan", FMAX(D), D_2, D_SNAN, D_2, NV),
    F2("fmax.s qnan qnan", FMAX(S), B(0x7fc00001), S_QNAN, S_QNAN, 0),
    F2("fmin.d snan qnan", FMIN(D), D_SNAN, D_QNAN, D_QNAN, NV),
    F2("fmin.d 1 2", FMIN(D), D_1, D_2, D_1, 0),
    F2("fmax.d -1 -inf", FMAX(D), D_M1, D_MINF, D_M1, 0),
    F2("fmin.d -1 -inf", FMIN(D), D_M1, D_MINF, D_MINF, 0),
    F2("fmax.s subnormal", FMAX(S), B(0x00000001), S_M0, B(0x00000001), 0),

    X2("feq.s 1 1", FEQ(S), S_1, S_1, 1, 0),
    X2("feq.s +0 -0", FEQ(S), S_0, S_M0, 1, 0),
    X2("feq.s qnan", FEQ(S), S_QNAN, S_1, 0, 0),
    X2("feq.s snan", FEQ(S), S_1, S_SNAN, 0, NV),
    X2("feq.d 1 2", FEQ(D), D_1, D_2, 0, 0),
    X2("flt.s qnan", FLT(S), S_QNAN, S_1, 0, NV),
    X2("fle.d qnan", FLE(D), D_1, D_QNAN, 0, NV),
    X2("flt.s -0 +0", FLT(S), S_M0, S_0, 0, 0),
    X2("fle.s +0 -0", FLE(S), S_0, S_M0, 1, 0),
    X2("flt.d 1 2", FLT(D), D_1, D_2, 1, 0),
    X2("flt.d -2 -1", FLT(D), 0xc000000000000000ull, D_M1, 1, 0),
    X2("fle.d 2 1", FLE(D), D_2, D_1, 0, 0),
    X2("fle.d -inf -inf", FLE(D), D_MINF, D_MINF, 1, 0),
    X2("flt.s improperly boxed", FLT(S), 0x3f800000ull, S_2, 0, NV),

    /* float -> int: RMM ties away from zero, NV and NX never together */
    XD("fcvt.w.s 2.5 rne", FCVT_W(S, RNE), S_2P5, 0, 2, NX),
    XD("fcvt.w.s 2.5 rtz", FCVT_W(S, RTZ), S_2P5, 0, 2, NX),
    XD("fcvt.w.s 2.5 rdn", FCVT_W(S, RDN), S_2P5, 0, 2, NX),
    XD("fcvt.w.s 2.5 rup", FCVT_W(S, RUP), S_2P5, 0, 3, NX),
    XD("fcvt.w.s 2.5 rmm", FCVT_W(S, RMM), S_2P5, 0, 3, NX),
    XD("fcvt.w.s -2.5 rne", FCVT_W(S, RNE), S_M2P5, 0, (uint64_t)-2, NX),
    XD("fcvt.w.s -2.5 rtz", FCVT_W(S, RTZ), S_M2P5, 0, (uint64_t)-2, NX),
    XD("fcvt.w.s -2.5 rdn", FCVT_W(S, RDN), S_M2P5, 0, (uint64_t)-3, NX),
    XD("fcvt.w.s -2.5 rup", FCVT_W(S, RUP), S_M2P5, 0, (uint64_t)-2, NX),
    XD("fcvt.w.s -2.5 rmm", FCVT_W(S, RMM), S_M2P5, 0, (uint64_t)-3, NX),
    XD("fcvt.w.s 3.5 rne", FCVT_W(S, RNE), B(0x40600000), 0, 4, NX),
    XD("fcvt.w.s 2.5 dyn rmm", FCVT_W(S, DYN), S_2P5, RMM, 3, NX),
    XD("fcvt.w.s -1 sign-extends", FCVT_W(S, RNE), S_M1, 0, 0xffffffffffffffffull, 0),
    XD("fcvt.w.s -0", FCVT_W(S, RNE), S_M0, 0, 0, 0),
    XD("fcvt.w.s qnan", FCVT_W(S, RNE), S_QNAN, 0, 0x7fffffff, NV),
    XD("fcvt.w.s -qnan", FCVT_W(S, RNE), B(0xffc00000), 0, 0x7fffffff, NV),
    XD("fcvt.w.s +inf", FCVT_W(S, RNE), S_INF, 0, 0x7fffffff, NV),
    XD("fcvt.w.s -inf", FCVT_W(S, RNE), S_MINF, 0, 0xffffffff80000000ull, NV),
    XD("fcvt.w.d 2^31", FCVT_W(D, RNE), D_2P31, 0, 0x7fffffff, NV),
    XD("fcvt.w.d -2^31", FCVT_W(D, RNE), D_M2P31, 0, 0xffffffff80000000ull, 0),
    XD("fcvt.w.d -2^31-0.5 rtz", FCVT_W(D, RTZ), 0xc1e0000000100000ull, 0, 0xffffffff80000000ull, NX),
    XD("fcvt.w.d -2^31-0.5 rdn", FCVT_W(D, RDN), 0xc1e0000000100000ull, 0, 0xffffffff80000000ull, NV),
    XD("fcvt.w.d 2^31-0.5 rup", FCVT_W(D, RUP), 0x41dfffffffe00000ull, 0, 0x7fffffff, NV),
    XD("fcvt.w.d 2^31-0.5 rtz", FCVT_W(D, RTZ), 0x41dfffffffe00000ull, 0, 0x7fffffff, NX),
    XD("fcvt.wu.s -1", FCVT_WU(S, RNE), S_M1, 0, 0, NV),
    XD("fcvt.wu.s -0.3 rtz", FCVT_WU(S, RTZ), S_M0P3, 0, 0, NX),
    XD("fcvt.wu.s -0.3 rne", FCVT_WU(S, RNE), S_M0P3, 0, 0, NX),
    XD("fcvt.wu.s -0.3 rdn", FCVT_WU(S, RDN), S_M0P3, 0, 0, NV),
    XD("fcvt.wu.s -0.7 rne", FCVT_WU(S, RNE), S_M0P7, 0, 0, NV),
    XD("fcvt.wu.s -inf", FCVT_WU(S, RNE), S_MINF, 0, 0, NV),
    XD("fcvt.wu.s qnan", FCVT_WU(S, RNE), S_QNAN, 0, 0xffffffffffffffffull, NV),
    XD("fcvt.wu.d 3e9 sign-extends", FCVT_WU(D, RNE), 0x41e65a0bc0000000ull, 0,
       0xffffffffb2d05e00ull, 0),
    XD("fcvt.wu.d 2^32", FCVT_WU(D, RNE), D_2P32, 0, 0xffffffffffffffffull, NV),
    XD("fcvt.l.d 2^63", FCVT_L(D, RNE), D_2P63, 0, 0x7fffffffffffffffull, NV),
    XD("fcvt.l.d -2^63", FCVT_L(D, RNE), D_M2P63, 0, 0x8000000000000000ull, 0),
    XD("fcvt.l.d 1e10", FCVT_L(D, RNE), 0x4202a05f20000000ull, 0, 10000000000ull, 0),
    XD("fcvt.l.d -1.5 rmm", FCVT_L(D, RMM), 0xbff8000000000000ull, 0, (uint64_t)-2, NX),
    XD("fcvt.l.d minsub rup", FCVT_L(D, RUP), D_MINSUB, 0, 1, NX),
    XD("fcvt.l.d -minsub rdn", FCVT_L(D, RDN), 0x8000000000000001ull, 0, (uint64_t)-1, NX),
    XD("fcvt.l.s -inf", FCVT_L(S, RNE), S_MINF, 0, 0x8000000000000000ull, NV),
    XD("fcvt.l.s qnan", FCVT_L(S, RNE), S_QNAN, 0, 0x7fffffffffffffffull, NV),
    XD("fcvt.lu.d -1", FCVT_LU(D, RNE), D_M1, 0, 0, NV),
    XD("fcvt.lu.d 2^64", FCVT_LU(D, RNE), D_2P64, 0, 0xffffffffffffffffull, NV),
    XD("fcvt.lu.d 2^63", FCVT_LU(D, RNE), D_2P63, 0, 0x8000000000000000ull, 0),
    XD("fcvt.lu.s snan", FCVT_LU(S, RNE), S_SNAN, 0, 0xffffffffffffffffull, NV),
    XD("fcvt.lu.d max", FCVT_LU(D, RNE), D_MAX, 0, 0xffffffffffffffffull, NV),

    /* int -> float */
    FI("fcvt.s.w -1", FCVT_FROM_W(S, RNE), (uint64_t)-1, S_M1, 0),
    FI("fcvt.s.w uses low 32 bits", FCVT_FROM_W(S, RNE), 0x00000000ffffffffull, S_M1, 0),
    FI("fcvt.s.w 0", FCVT_FROM_W(S, RNE), 0, S_0, 0),
    FI("fcvt.s.w 2^24+1 rne", FCVT_FROM_W(S, RNE), 0x1000001, B(0x4b800000), NX),
    FI("fcvt.s.w 2^24+1 rup", FCVT_FROM_W(S, RUP), 0x1000001, B(0x4b800001), NX),
    FI("fcvt.s.w 2^24+1 rmm", FCVT_FROM_W(S, RMM), 0x1000001, B(0x4b800001), NX),
    FI("fcvt.s.w -(2^24+1) rdn", FCVT_FROM_W(S, RDN), (uint64_t)-0x1000001, B(0xcb800001), NX),
    FI("fcvt.s.w int32 min", FCVT_FROM_W(S, RNE), 0xffffffff80000000ull, B(0xcf000000), 0),
    FI("fcvt.s.wu 2^32-1 rne", FCVT_FROM_WU(S, RNE), 0xffffffff, B(0x4f800000), NX),
    FI("fcvt.s.wu 2^32-1 rtz", FCVT_FROM_WU(S, RTZ), 0xffffffff, B(0x4f7fffff), NX),
    FI("fcvt.s.wu ignores upper bits", FCVT_FROM_WU(S, RNE), 0x1234567800000001ull, S_1, 0),
    FI("fcvt.d.w -7", FCVT_FROM_W(D, RNE), (uint64_t)-7, 0xc01c000000000000ull, 0),
    FI("fcvt.d.wu 2^32-1", FCVT_FROM_WU(D, RNE), 0xffffffffffffffffull, 0x41efffffffe00000ull, 0),
    FI("fcvt.d.l int64 min", FCVT_FROM_L(D, RNE), 0x8000000000000000ull, D_M2P63, 0),
    FI("fcvt.d.l 2^53+1 rne", FCVT_FROM_L(D, RNE), 0x20000000000001ull, 0x4340000000000000ull, NX),
    FI("fcvt.d.l 2^53+1 rmm", FCVT_FROM_L(D, RMM), 0x20000000000001ull, 0x4340000000000001ull, NX),
    FI("fcvt.d.lu 2^64-1 rne", FCVT_FROM_LU(D, RNE), 0xffffffffffffffffull, D_2P64, NX),
    FI("fcvt.d.lu 2^64-1 rtz", FCVT_FROM_LU(D, RTZ), 0xffffffffffffffffull, 0x43efffffffffffffull, NX),
    FI("fcvt.s.l -1", FCVT_FROM_L(S, RNE), (uint64_t)-1, S_M1, 0),
    FI("fcvt.s.lu 2^64-1 rdn", FCVT_FROM_LU(S, RDN), 0xffffffffffffffffull, B(0x5f7fffff), NX),

    /* between formats */
    F1("fcvt.s.d 1/3 rne", FCVT_S_D(RNE), 0x3fd5555555555555ull, B(0x3eaaaaab), NX),
    F1("fcvt.s.d 1/3 rtz", FCVT_S_D(RTZ), 0x3fd5555555555555ull, B(0x3eaaaaaa), NX),
    F1("fcvt.s.d 1.0", FCVT_S_D(RNE), D_1, S_1, 0),
    F1("fcvt.s.d 1e300 rne", FCVT_S_D(RNE), 0x7e37e43c8800759cull, S_INF, OF | NX),
    F1("fcvt.s.d 1e300 rtz", FCVT_S_D(RTZ), 0x7e37e43c8800759cull, S_MAX, OF | NX),
    F1("fcvt.s.d -1e300 rup", FCVT_S_D(RUP), 0xfe37e43c8800759cull, S_MMAX, OF | NX),
    F1("fcvt.s.d snan", FCVT_S_D(RNE), D_SNAN, S_QNAN, NV),
    F1("fcvt.s.d qnan payload", FCVT_S_D(RNE), 0xfff800000000abcdull, S_QNAN, 0),
    F1("fcvt.s.d -inf", FCVT_S_D(RNE), D_MINF, S_MINF, 0),
    F1("fcvt.s.d -0", FCVT_S_D(RNE), D_M0, S_M0, 0),
    /* 2^-126 - 2^-151 rounds to the smallest normal and is not tiny after rounding */
    F1("fcvt.s.d not tiny after rounding", FCVT_S_D(RNE), 0x380ffffff0000000ull, B(0x00800000), NX),
    /* 2^-126 - 2^-150 is tiny after rounding yet still rounds up to the smallest normal */
    F1("fcvt.s.d tiny after rounding", FCVT_S_D(RNE), 0x380fffffe0000000ull, B(0x00800000), UF | NX),
    F1("fcvt.s.d tiny rtz", FCVT_S_D(RTZ), 0x380fffffe0000000ull, B(0x007fffff), UF | NX),
    F1("fcvt.s.d 2^-150 rne", FCVT_S_D(RNE), 0x3690000000000000ull, S_0, UF | NX),
    F1("fcvt.s.d 2^-150 rup", FCVT_S_D(RUP), 0x3690000000000000ull, B(0x00000001), UF | NX),
    F1("fcvt.s.d 2^-150 rmm", FCVT_S_D(RMM), 0x3690000000000000ull, B(0x00000001), UF | NX),
    F1("fcvt.s.d -2^-150 rdn", FCVT_S_D(RDN), 0xb690000000000000ull, B(0x80000001), UF | NX),
    F1("fcvt.s.d exact subnormal", FCVT_S_D(RNE), 0x36a0000000000000ull, B(0x00000001), 0),
    F1("fcvt.d.s minsub", FCVT_D_S(RNE), B(0x00000001), 0x36a0000000000000ull, 0),
    F1("fcvt.d.s 1/3", FCVT_D_S(RNE), B(0x3eaaaaab), 0x3fd5555560000000ull, 0),
    F1("fcvt.d.s snan", FCVT_D_S(RNE), S_SNAN, D_QNAN, NV),
    F1("fcvt.d.s -inf", FCVT_D_S(RNE), S_MINF, D_MINF, 0),
    F1("fcvt.d.s improperly boxed", FCVT_D_S(RNE), 0x3f800000ull, D_QNAN, 0),

    /* transfers move raw bits: no boxing check on the way out, boxing on the way in */
    X1("fmv.x.w sign-extends", FMV_X(S), S_M1, 0xffffffffbf800000ull, 0),
    X1("fmv.x.w positive", FMV_X(S), S_1, 0x3f800000, 0),
    X1("fmv.x.w ignores upper half", FMV_X(S), 0x12345678bf800000ull, 0xffffffffbf800000ull, 0),
    X1("fmv.x.w snan kept", FMV_X(S), S_SNAN, 0x7f800001, 0),
    X1("fmv.x.d", FMV_X(D), 0xfff0000000000001ull, 0xfff0000000000001ull, 0),
    FI("fmv.w.x boxes", FMV_F(S), 0x123456783f800000ull, S_1, 0),
    FI("fmv.w.x keeps snan", FMV_F(S), 0x7f800001, S_SNAN, 0),
    FI("fmv.d.x", FMV_F(D), 0x7ff0000000000001ull, 0x7ff0000000000001ull, 0),

    /* reserved encodings and invalid rounding modes */
    ILL("fadd.s rm=5", FADD(S, 5), 0),
    ILL("fadd.d rm=6", FADD(D, 6), 0),
    ILL("fadd.s dyn frm=5", FADD(S, DYN), 5),
    ILL("fmul.d dyn frm=7", FMUL(D, DYN), 7),
    ILL("fdiv.s rm=5", FDIV(S, 5), 0),
    ILL("fsqrt.d rm=6", FSQRT(D, 6), 0),
    ILL("fsqrt.s rs2!=0", OPFP(0x0b, S, RNE, 4, 1, 1), 0),
    ILL("fadd.h", FADD(2, RNE), 0),
    ILL("fadd.q", FADD(3, RNE), 0),
    ILL("fmadd.h", FMADD(2, RNE), 0),
    ILL("fmadd.s rm=5", FMADD(S, 5), 0),
    ILL("fnmadd.d dyn frm=6", FNMADD(D, DYN), 6),
    ILL("fsgnj rm=3", OPFP(0x04, S, 3, 4, 1, 2), 0),
    ILL("fmin rm=2", OPFP(0x05, D, 2, 4, 1, 2), 0),
    ILL("fcmp rm=3", OPFP(0x14, S, 3, 10, 1, 2), 0),
    ILL("fclass rs2!=0", OPFP(0x1c, S, 1, 10, 1, 1), 0),
    ILL("fmv.x.w rm=2", OPFP(0x1c, S, 2, 10, 1, 0), 0),
    ILL("fmv.w.x rm=1", OPFP(0x1e, S, 1, 4, 11, 0), 0),
    ILL("fcvt.w.s rs2=4", OPFP(0x18, S, RNE, 10, 1, 4), 0),
    ILL("fcvt.s.w rs2=5", OPFP(0x1a, S, RNE, 4, 11, 5), 0),
    ILL("fcvt.w.s rm=5", FCVT_W(S, 5), 0),
    ILL("fcvt.d.w dyn frm=5", FCVT_FROM_W(D, DYN), 5),
    ILL("fcvt.s.s", OPFP(0x08, S, RNE, 4, 1, 0), 0),
    ILL("fcvt.d.d", OPFP(0x08, D, RNE, 4, 1, 1), 0),
    ILL("fcvt.s.d rm=6", FCVT_S_D(6), 0),
    ILL("fcvt.d.s rm=5", FCVT_D_S(5), 0),
    ILL("funct5 0x06", OPFP(0x06, S, RNE, 4, 1, 2), 0),
    ILL("funct5 0x1f", OPFP(0x1f, D, RNE, 4, 1, 2), 0),
};

#define SENTINEL 0x5a5a5a5a5a5a5a5aull

static void run_case(const struct fcase *tc, uint64_t *xout, uint64_t *fout, uint32_t *flags,
                     enum rv_fpu_result *res)
{
    struct rv_fp_state fp;
    uint64_t x[32];

    memset(&fp, 0, sizeof(fp));
    memset(x, 0, sizeof(x));
    fp.f[1] = tc->a;
    fp.f[2] = tc->b;
    fp.f[3] = tc->c;
    fp.f[4] = SENTINEL;
    fp.frm = tc->frm;
    x[10] = SENTINEL;
    x[11] = tc->xin;
    *res = rv_fpu_exec(&fp, x, tc->insn);
    *xout = x[10];
    *fout = fp.f[4];
    *flags = fp.fflags;
    assert_int_equal(x[0], 0);
}

static void test_table(void **state)
{
    int failures = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct fcase *tc = &cases[i];
        uint64_t xv, fv, got;
        uint32_t fl;
        enum rv_fpu_result res;

        run_case(tc, &xv, &fv, &fl, &res);
        if (tc->kind == 2) {
            /* An illegal instruction must leave every piece of state alone. */
            if (res != RV_FPU_ILLEGAL || xv != SENTINEL || fv != SENTINEL || fl != 0) {
                print_error("%s: expected illegal, got res=%d x=%#llx f=%#llx flags=%#x\n",
                            tc->name, (int)res, (unsigned long long)xv,
                            (unsigned long long)fv, fl);
                failures++;
            }
            continue;
        }
        got = tc->kind == 1 ? xv : fv;
        if (res != RV_FPU_OK || got != tc->want || fl != tc->flags ||
            (tc->kind == 1 ? fv != SENTINEL : xv != SENTINEL)) {
            print_error("%s: want %#llx flags %#x, got %#llx flags %#x (res %d)\n", tc->name,
                        (unsigned long long)tc->want, tc->flags, (unsigned long long)got, fl,
                        (int)res);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

static void test_fclass(void **state)
{
    static const struct { uint64_t s, d; unsigned bit; } cls[] = {
        { 0xff800000, 0xfff0000000000000ull, 0 },      /* -inf */
        { 0xbf800000, 0xbff0000000000000ull, 1 },      /* -normal */
        { 0x807fffff, 0x800fffffffffffffull, 2 },      /* -subnormal */
        { 0x80000000, 0x8000000000000000ull, 3 },      /* -0 */
        { 0x00000000, 0x0000000000000000ull, 4 },      /* +0 */
        { 0x00000001, 0x0000000000000001ull, 5 },      /* +subnormal */
        { 0x7f7fffff, 0x7fefffffffffffffull, 6 },      /* +normal */
        { 0x7f800000, 0x7ff0000000000000ull, 7 },      /* +inf */
        { 0xffbfffff, 0xfff7ffffffffffffull, 8 },      /* sNaN (either sign) */
        { 0x7fc00000, 0x7ff8000000000000ull, 9 },      /* qNaN */
    };
    struct rv_fp_state fp;
    uint64_t x[32];

    (void)state;
    memset(&fp, 0, sizeof(fp));
    memset(x, 0, sizeof(x));
    for (size_t i = 0; i < sizeof(cls) / sizeof(cls[0]); i++) {
        fp.f[1] = B(cls[i].s);
        assert_int_equal(rv_fpu_exec(&fp, x, FCLASS(S)), RV_FPU_OK);
        assert_int_equal(x[10], 1ull << cls[i].bit);
        fp.f[1] = cls[i].d;
        assert_int_equal(rv_fpu_exec(&fp, x, FCLASS(D)), RV_FPU_OK);
        assert_int_equal(x[10], 1ull << cls[i].bit);
    }
    /* An improperly boxed single reads as the canonical (quiet) NaN. */
    fp.f[1] = 0x00000000ff800000ull;
    assert_int_equal(rv_fpu_exec(&fp, x, FCLASS(S)), RV_FPU_OK);
    assert_int_equal(x[10], 1u << 9);
    assert_int_equal(fp.fflags, 0);
}

static void test_x0_and_accumulation(void **state)
{
    struct rv_fp_state fp;
    uint64_t x[32];

    (void)state;
    memset(&fp, 0, sizeof(fp));
    memset(x, 0, sizeof(x));
    fp.fflags = DZ;
    fp.f[1] = S_QNAN;
    fp.f[2] = S_1;
    /* FLT with rd = x0: the result is dropped but the flag still accumulates. */
    assert_int_equal(rv_fpu_exec(&fp, x, OPFP(0x14, S, 1, 0, 1, 2)), RV_FPU_OK);
    assert_int_equal(x[0], 0);
    assert_int_equal(fp.fflags, DZ | NV);
    /* fcvt.w.s to x0 */
    fp.f[1] = S_2P5;
    assert_int_equal(rv_fpu_exec(&fp, x, OPFP(0x18, S, RNE, 0, 1, 0)), RV_FPU_OK);
    assert_int_equal(x[0], 0);
    assert_int_equal(fp.fflags, DZ | NV | NX);
    /* fclass and fmv to x0 */
    assert_int_equal(rv_fpu_exec(&fp, x, OPFP(0x1c, S, 1, 0, 1, 0)), RV_FPU_OK);
    assert_int_equal(rv_fpu_exec(&fp, x, OPFP(0x1c, D, 0, 0, 1, 0)), RV_FPU_OK);
    assert_int_equal(x[0], 0);
    /* Writes to f0 are real: f0 is an ordinary register. */
    fp.f[1] = D_1;
    fp.f[2] = D_2;
    assert_int_equal(rv_fpu_exec(&fp, x, OPFP(0x00, D, RNE, 0, 1, 2)), RV_FPU_OK);
    assert_int_equal(fp.f[0], D_3);
    /* Destination aliasing a source. */
    assert_int_equal(rv_fpu_exec(&fp, x, OPFP(0x02, D, RNE, 1, 1, 1)), RV_FPU_OK);
    assert_int_equal(fp.f[1], D_1);
}

/* xorshift64*: the same operands on every run. */
static uint64_t rnd_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dull;
}

/*
 * An operand of the format (dbl or single, the latter NaN-boxed), biased towards where the
 * host shortcut must step aside: exponents at both ends of the range (results that
 * overflow, are tiny, or underflow to zero), zeros, subnormals, infinities, NaNs, and
 * values a few units from `near` (so a - b cancels to a tiny or zero result).
 */
static uint64_t rnd_operand(uint64_t *s, bool dbl, uint64_t near)
{
    uint64_t r = rnd_next(s), v;
    unsigned mb = dbl ? 52 : 23, emax = dbl ? 0x7ff : 0xff;
    uint64_t mant = r & ((1ull << mb) - 1), sign = (r >> 63) << (dbl ? 63 : 31);
    unsigned e;

    switch ((r >> 56) & 7) {
    case 0: e = 1 + (unsigned)((r >> 40) % 4); break;              /* smallest normals */
    case 1: e = emax - 1 - (unsigned)((r >> 40) % 4); break;       /* largest finite */
    case 2: e = (emax >> 1) + (unsigned)((r >> 40) % 8) - 4; break; /* near 1 */
    case 3:
        v = near + ((r >> 40) % 5) - 2; /* a few units from `near`, either sign */
        return dbl ? v ^ (sign & ~(near & (1ull << 63))) : 0xffffffff00000000ull | (uint32_t)v;
    case 4: e = (unsigned)((r >> 40) % 3) ? (emax >> 1) + (unsigned)((r >> 40) % 60) - 30
                                          : (unsigned)((r >> 44) % 2) * emax; break;
    default: e = 1 + (unsigned)((r >> 40) % (emax - 1)); break;     /* any normal */
    }
    if (e == 0 && (r >> 50) & 1)
        mant = 0; /* zero rather than a subnormal, half the time */
    v = sign | (uint64_t)e << mb | mant;
    return dbl ? v : 0xffffffff00000000ull | (uint32_t)v;
}

/*
 * The host FPU shortcut (taken only once NX is set, at round to nearest even) must give the
 * software path's exact bits and flags: run each case with fflags 0 (software, which also
 * decides whether NX is raised) and with NX preset (the shortcut where it applies).
 */
static void test_host_shortcut(void **state)
{
    static const uint32_t ops[] = {
        FADD(0, RNE), FSUB(0, RNE), FMUL(0, RNE), FDIV(0, RNE), FSQRT(0, RNE),
        R4(0x43, 0, RNE), R4(0x47, 0, RNE), R4(0x4b, 0, RNE), R4(0x4f, 0, RNE),
        FADD(0, DYN), FMUL(0, DYN), FDIV(0, RTZ),
    };
    /*
     * Rounded up to the smallest normal, yet tiny (UF) because it is below it before
     * rounding: (1 - 2^-53) * 2^-1022 and its single counterpart. Then division by zero.
     */
    static const struct { uint32_t insn; uint64_t a, b; } fixed[] = {
        { FMUL(1, RNE), 0x3fefffffffffffffull, 0x0010000000000000ull },
        { FMUL(0, RNE), B(0x3f7fffff), B(0x00800000) },
        { FDIV(1, RNE), 0x3ff0000000000000ull, 0 },
        { FDIV(0, RNE), B(0xbf800000), B(0x80000000) },
    };
    const unsigned nfixed = sizeof(fixed) / sizeof(fixed[0]);
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    int failures = 0;

    (void)state;
    for (unsigned n = 0; n < 300000 && failures < 10; n++) {
        bool dbl = n & 1;
        uint32_t insn = ops[(n >> 1) % (sizeof(ops) / sizeof(ops[0]))] | (dbl ? 1u << 25 : 0);
        struct rv_fp_state soft, hard;
        uint64_t x[32] = {0};

        memset(&soft, 0, sizeof(soft));
        soft.f[1] = rnd_operand(&seed, dbl, 0);
        soft.f[2] = rnd_operand(&seed, dbl, soft.f[1]);
        soft.f[3] = rnd_operand(&seed, dbl, soft.f[1]);
        if (n < nfixed) {
            insn = fixed[n].insn;
            soft.f[1] = fixed[n].a;
            soft.f[2] = fixed[n].b;
        }
        hard = soft;
        hard.fflags = NX;
        assert_int_equal(rv_fpu_exec(&soft, x, insn), RV_FPU_OK);
        assert_int_equal(rv_fpu_exec(&hard, x, insn), RV_FPU_OK);
        if (soft.f[4] != hard.f[4] || (soft.fflags | NX) != hard.fflags) {
            print_error("insn %#x a %#llx b %#llx c %#llx: software %#llx flags %#x, "
                        "with NX set %#llx flags %#x\n", insn,
                        (unsigned long long)soft.f[1], (unsigned long long)soft.f[2],
                        (unsigned long long)soft.f[3], (unsigned long long)soft.f[4],
                        soft.fflags, (unsigned long long)hard.f[4], hard.fflags);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* Prints the table as "insn a b c xin frm kind want flags" for replay under QEMU. */
static void dump_cases(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct fcase *tc = &cases[i];
        printf("%x %llx %llx %llx %llx %x %d %llx %x\n", tc->insn, (unsigned long long)tc->a,
               (unsigned long long)tc->b, (unsigned long long)tc->c,
               (unsigned long long)tc->xin, tc->frm, tc->kind, (unsigned long long)tc->want,
               tc->flags);
    }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_fclass),
        cmocka_unit_test(test_x0_and_accumulation),
        cmocka_unit_test(test_host_shortcut),
    };

    if (argc > 1 && strcmp(argv[1], "--dump-cases") == 0) {
        dump_cases();
        return 0;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * RV64M: multiplies (low and the three high-half signednesses, mulw) and divides, including
 * the results the spec defines for division by zero and for signed overflow (INT_MIN / -1),
 * which must not trap.
 */
#include "test.h"

#define INT64_MIN 0x8000000000000000
#define INT64_MAX 0x7fffffffffffffff

TEST_START
test_body:
    /* ---- mul: low 64 bits, same for signed and unsigned ---- */
    TEST_RR(1, mul, 15, 3, 5)
    TEST_RR(2, mul, 1, -1, -1)
    TEST_RR(3, mul, -15, -3, 5)
    TEST_RR(4, mul, 0xfffffffffffffffe, INT64_MAX, 2)
    TEST_RR(5, mul, INT64_MIN, INT64_MIN, -1)
    TEST_RR(6, mul, 0x0000000100000000, 0x10000, 0x10000)
    TEST_RR(7, mul, 0, 0x100000000, 0x100000000)        /* 2^64 wraps to 0 */

    /* ---- mulh: signed x signed, high 64 bits ---- */
    TEST_RR(10, mulh, 0, -1, -1)
    TEST_RR(11, mulh, -1, -1, 1)                        /* -1 -> high all ones */
    TEST_RR(12, mulh, 0x4000000000000000, INT64_MIN, INT64_MIN)
    TEST_RR(13, mulh, 0x3fffffffffffffff, INT64_MAX, INT64_MAX)
    TEST_RR(14, mulh, 0xc000000000000000, INT64_MIN, INT64_MAX)
    TEST_RR(15, mulh, 1, 0x100000000, 0x100000000)

    /* ---- mulhu: unsigned x unsigned ---- */
    TEST_RR(20, mulhu, 0xfffffffffffffffe, -1, -1)
    TEST_RR(21, mulhu, 1, INT64_MIN, 2)
    TEST_RR(22, mulhu, 0, 0xffffffff, 0xffffffff)
    TEST_RR(23, mulhu, 0x4000000000000000, INT64_MIN, INT64_MIN)

    /* ---- mulhsu: rs1 signed, rs2 unsigned ---- */
    TEST_RR(30, mulhsu, -1, -1, -1)                     /* -(2^64-1): high all ones */
    TEST_RR(31, mulhsu, 0xfffffffffffffffe, -2, -1)
    TEST_RR(32, mulhsu, 1, 2, INT64_MIN)                /* rs2 = +2^63, not -2^63 */
    TEST_RR(33, mulhsu, -1, INT64_MIN, 2)               /* rs1 = -2^63 */
    TEST_RR(34, mulhsu, -1, -1, INT64_MIN)                /* -2^63: high all ones */
    TEST_RR(35, mulhsu, 0, 5, 7)

    /* ---- mulw: low 32 bits of the product, sign-extended; inputs' upper halves ignored ---- */
    TEST_RR(40, mulw, 0xfffffffffffffffe, 0x7fffffff, 2)
    TEST_RR(41, mulw, 15, 0x100000003, 0x100000005)
    TEST_RR(42, mulw, 0, 0x10000, 0x10000)
    TEST_RR(43, mulw, 0xffffffff80000000, 0x40000000, 2)
    TEST_RR(44, mulw, 1, -1, -1)

    /* ---- div / rem: signed, truncating toward zero; rem has the dividend's sign ---- */
    TEST_RR(50, div, 3, 20, 6)
    TEST_RR(51, div, -3, -20, 6)
    TEST_RR(52, div, -3, 20, -6)
    TEST_RR(53, div, 3, -20, -6)
    TEST_RR(54, rem, 2, 20, 6)
    TEST_RR(55, rem, -2, -20, 6)
    TEST_RR(56, rem, 2, 20, -6)
    TEST_RR(57, rem, -1, -7, -2)
    /* divide by zero: quotient all ones, remainder = dividend */
    TEST_RR(58, div, -1, 20, 0)
    TEST_RR(59, div, -1, -20, 0)
    TEST_RR(60, rem, 20, 20, 0)
    TEST_RR(61, rem, -20, -20, 0)
    /* overflow: INT_MIN / -1 = INT_MIN, remainder 0 */
    TEST_RR(62, div, INT64_MIN, INT64_MIN, -1)
    TEST_RR(63, rem, 0, INT64_MIN, -1)
    TEST_RR(64, div, INT64_MIN, INT64_MIN, 1)

    /* ---- divu / remu ---- */
    TEST_RR(70, divu, INT64_MAX, -1, 2)
    TEST_RR(71, remu, 1, -1, 2)
    TEST_RR(72, divu, 0x2aaaaaaaaaaaaaaa, INT64_MIN, 3)
    TEST_RR(73, remu, 2, INT64_MIN, 3)
    TEST_RR(74, divu, 0, 5, -1)                         /* -1 is huge unsigned */
    TEST_RR(75, remu, 5, 5, -1)
    TEST_RR(76, divu, -1, 20, 0)                        /* by zero: 2^64 - 1 */
    TEST_RR(77, remu, 20, 20, 0)
    TEST_RR(78, remu, -20, -20, 0)
    TEST_RR(79, divu, 1, INT64_MIN, INT64_MIN)

    /* ---- W forms: 32-bit operands (low halves), 32-bit results sign-extended ---- */
    TEST_RR(80, divw, 3, 0x100000014, 6)                /* upper half of rs1 ignored */
    TEST_RR(81, divw, -3, -20, 6)
    TEST_RR(82, divw, -3, 0xffffffec, 6)                /* 0xffffffec is -20 as 32 bits */
    TEST_RR(83, divw, 0xffffffff80000000, 0x80000000, -1)   /* 32-bit overflow */
    TEST_RR(84, divw, -1, 7, 0)
    TEST_RR(85, divw, -1, 7, 0x100000000)               /* divisor's low half is 0 */
    TEST_RR(86, remw, -2, -20, 6)
    TEST_RR(87, remw, 0, 0x80000000, -1)
    TEST_RR(88, remw, 7, 7, 0)
    TEST_RR(89, remw, 0xffffffff80000000, 0x80000000, 0)    /* dividend, sign-extended */
    TEST_RR(90, divuw, 0x40000000, 0x80000000, 2)
    TEST_RR(91, divuw, -1, 0xffffffff, 1)               /* 0xffffffff sign-extends */
    TEST_RR(92, divuw, -1, 7, 0)                        /* by zero: 0xffffffff -> -1 */
    TEST_RR(93, divuw, 0x7fffffff, 0xfffffffe, 2)
    TEST_RR(94, remuw, 0, 0xffffffff, 5)
    TEST_RR(95, remuw, 4, 0xfffffffe, 10)
    TEST_RR(96, remuw, 0xffffffff80000000, 0x80000000, 0)
    TEST_RR(97, remuw, 3, 0xabcdef0000000003, 0x100000010)

    /* ---- rd aliasing an operand ---- */
    li a0, 6
    li a1, 7
    mul a0, a0, a1
    CHECK_REG(100, a0, 42)
    li a0, 42
    divu a0, a0, a0
    CHECK_REG(101, a0, 1)

    j pass
TEST_END

/*
 * RV64A: lr/sc (success, failure without a reservation, failure to an address outside the
 * reservation set) and every AMO in .w and .d form. Each AMO checks both rd (the old value,
 * sign-extended for .w) and memory (the new value; for .w the neighbouring word untouched).
 */
#include "test.h"

#define SENTINEL 0x5a5a5a5a

/* 64-bit AMO: mem = init; rd = insn(mem, op); expect rd = init and mem = expect_mem. */
#define TEST_AMO_D(n, insn, init, op, expect_mem) \
    la a1, amo_data; li a2, init; sd a2, 0(a1); li a3, op; insn a0, a3, (a1); \
    CHECK_REG(n, a0, init); ld a4, 0(a1); CHECK_REG(n, a4, expect_mem)

/* 32-bit AMO: the word after the target holds SENTINEL and must keep it; rd is the old
   word sign-extended (expect_rd), memory the new word (expect_mem, 32 bits). */
#define TEST_AMO_W(n, insn, init, op, expect_rd, expect_mem) \
    la a1, amo_data; li a2, init; sw a2, 0(a1); li a2, SENTINEL; sw a2, 4(a1); \
    li a3, op; insn a0, a3, (a1); CHECK_REG(n, a0, expect_rd); \
    lwu a4, 0(a1); CHECK_REG(n, a4, expect_mem); lwu a4, 4(a1); CHECK_REG(n, a4, SENTINEL)

TEST_START
test_body:
    /* ---- lr.d / sc.d: success writes and returns 0 ---- */
    la a1, amo_data
    li a2, 0x1122334455667788
    sd a2, 0(a1)
    lr.d a0, (a1)
    CHECK_REG(1, a0, 0x1122334455667788)
    li a3, 0x0102030405060708
    sc.d a4, a3, (a1)
    CHECK_REG(2, a4, 0)
    ld a0, 0(a1)
    CHECK_REG(3, a0, 0x0102030405060708)

    /* the successful sc used up the reservation: a second sc fails, memory unchanged */
    li a3, 0x7777
    sc.d a4, a3, (a1)
    CHECK_NE(4, a4, zero)
    ld a0, 0(a1)
    CHECK_REG(5, a0, 0x0102030405060708)

    /* ---- lr.w sign-extends; sc.w writes only 32 bits ---- */
    li a2, SENTINEL
    sw a2, 4(a1)
    li a2, 0x80000001
    sw a2, 0(a1)
    lr.w a0, (a1)
    CHECK_REG(6, a0, 0xffffffff80000001)
    li a3, 0xffffffff00000042                   /* upper half must not reach memory */
    sc.w a4, a3, (a1)
    CHECK_REG(7, a4, 0)
    ld a0, 0(a1)
    CHECK_REG(8, a0, 0x5a5a5a5a00000042)
    sc.w a4, a3, (a1)                           /* no reservation any more */
    CHECK_NE(9, a4, zero)

    /* ---- sc to an address outside the reservation set fails and stores nothing ---- */
    la a1, amo_data
    la a5, amo_far                              /* a different 4 KiB page */
    li a2, 0x99
    sd a2, 0(a5)
    lr.d a0, (a1)
    li a3, 0x1234
    sc.d a4, a3, (a5)
    CHECK_NE(10, a4, zero)
    ld a0, 0(a5)
    CHECK_REG(11, a0, 0x99)

    /* ---- lr/sc with aq/rl bits, and a retry loop as software writes it ---- */
    la a1, amo_data
    sd zero, 0(a1)
    li a5, 3                                    /* increment three times */
1:  lr.d.aq a0, (a1)
    addi a0, a0, 10
    sc.d.rl a4, a0, (a1)
    bnez a4, 1b
    addi a5, a5, -1
    bnez a5, 1b
    ld a0, 0(a1)
    CHECK_REG(12, a0, 30)

    /* ---- AMOs, doubleword ---- */
    TEST_AMO_D(20, amoswap.d, 0x1111111111111111, 0x2222222222222222, 0x2222222222222222)
    TEST_AMO_D(21, amoadd.d, 0x7fffffffffffffff, 1, 0x8000000000000000)
    TEST_AMO_D(22, amoand.d, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0x0f000f000f000f00)
    TEST_AMO_D(23, amoor.d, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xfff0fff0fff0fff0)
    TEST_AMO_D(24, amoxor.d, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xf0f0f0f0f0f0f0f0)
    TEST_AMO_D(25, amomin.d, -1, 1, -1)
    TEST_AMO_D(26, amomin.d, 5, 0x8000000000000000, 0x8000000000000000)
    TEST_AMO_D(27, amominu.d, -1, 1, 1)
    TEST_AMO_D(28, amomax.d, 0x8000000000000000, 0, 0)
    TEST_AMO_D(29, amomaxu.d, 0x8000000000000000, 0, 0x8000000000000000)
    TEST_AMO_D(30, amomax.d, -5, -3, -3)
    TEST_AMO_D(31, amominu.d, 7, 7, 7)
    TEST_AMO_D(32, amoadd.d.aqrl, 40, 2, 42)
    TEST_AMO_D(33, amoswap.d.aq, 1, 2, 2)
    TEST_AMO_D(34, amoor.d.rl, 1, 2, 3)

    /* ---- AMOs, word: 32-bit arithmetic and comparisons on the low halves ---- */
    TEST_AMO_W(40, amoswap.w, 0x80000000, 0xabcdef0012345678, 0xffffffff80000000, 0x12345678)
    TEST_AMO_W(41, amoadd.w, 0xffffffff, 0x1, 0xffffffffffffffff, 0)        /* carry dropped */
    TEST_AMO_W(42, amoadd.w, 0x7fffffff, 0xffffffff00000001, 0x7fffffff, 0x80000000)
    TEST_AMO_W(43, amoand.w, 0xff00ff00, 0x0ff00ff0, 0xffffffffff00ff00, 0x0f000f00)
    TEST_AMO_W(44, amoor.w, 0xff00ff00, 0x0ff00ff0, 0xffffffffff00ff00, 0xfff0fff0)
    TEST_AMO_W(45, amoxor.w, 0xff00ff00, 0x0ff00ff0, 0xffffffffff00ff00, 0xf0f0f0f0)
    /* signed 32-bit: 0x80000000 is negative, 0xffffffff is -1 */
    TEST_AMO_W(46, amomin.w, 0x80000000, 1, 0xffffffff80000000, 0x80000000)
    TEST_AMO_W(47, amominu.w, 0x80000000, 1, 0xffffffff80000000, 1)
    TEST_AMO_W(48, amomax.w, 0x7fffffff, 0xffffffff, 0x7fffffff, 0x7fffffff)
    TEST_AMO_W(49, amomaxu.w, 0x7fffffff, 0xffffffff, 0x7fffffff, 0xffffffff)
    TEST_AMO_W(50, amomin.w, 5, 0x00000000ffffffff, 5, 0xffffffff)        /* op is -1 */
    TEST_AMO_W(51, amomax.w, 5, 0x1ffffffff & 0xffffffff, 5, 5)
    TEST_AMO_W(52, amomaxu.w, 5, 0xffffffff00000003, 5, 5)                 /* op is 3 */
    TEST_AMO_W(53, amominu.w, 0xfffffffe, 0xffffffff, 0xfffffffffffffffe, 0xfffffffe)
    TEST_AMO_W(54, amoadd.w.aqrl, 40, 2, 40, 42)

    /* ---- AMO with rd = x0 still updates memory; rd = rs2 gets the old value ---- */
    la a1, amo_data
    li a2, 100
    sd a2, 0(a1)
    li a3, 5
    amoadd.d zero, a3, (a1)
    ld a0, 0(a1)
    CHECK_REG(60, a0, 105)
    li a3, 7
    amoswap.d a3, a3, (a1)
    CHECK_REG(61, a3, 105)
    ld a0, 0(a1)
    CHECK_REG(62, a0, 7)

    j pass

    .data
    .balign 8
amo_data: .dword 0, 0
    .balign 4096
amo_far: .dword 0
TEST_END

/*
 * RVC: the compressed instructions of RV64GC, written as explicit c.* mnemonics so each one
 * is really the 16-bit encoding. Also: 32-bit instructions at 2-byte-aligned addresses,
 * c.jalr linking pc + 2, c.ebreak, and the all-zero halfword being illegal.
 */
#include "test.h"

TEST_START
test_body:
    .option rvc

    /* ---- c.li / c.addi / c.lui / c.addiw (6-bit signed immediates) ---- */
    c.li a0, -32
    CHECK_REG(1, a0, -32)
    c.li a0, 31
    CHECK_REG(2, a0, 31)
    c.addi a0, -32
    CHECK_REG(3, a0, -1)
    c.addi a0, 31
    CHECK_REG(4, a0, 30)
    c.lui a0, 1
    CHECK_REG(5, a0, 0x1000)
    c.lui a0, 0x1f
    CHECK_REG(6, a0, 0x1f000)
    c.lui a0, 0xfffff                       /* nzimm = -1: sign-extends */
    CHECK_REG(7, a0, 0xfffffffffffff000)
    c.lui a0, 0xfffe0                       /* the most negative: -32 << 12 */
    CHECK_REG(8, a0, 0xfffffffffffe0000)
    li a0, 0x7fffffff
    c.addiw a0, 1
    CHECK_REG(9, a0, 0xffffffff80000000)
    li a0, 0x12345678ffffffff
    c.addiw a0, 0                           /* sext.w */
    CHECK_REG(10, a0, -1)
    li a0, 5
    c.addiw a0, -6
    CHECK_REG(11, a0, -1)

    /* ---- stack-pointer adjustments ---- */
    mv s1, sp
    c.addi16sp sp, -64
    sub a0, s1, sp
    CHECK_REG(12, a0, 64)
    c.addi16sp sp, 496                      /* largest positive immediate */
    sub a0, sp, s1
    CHECK_REG(13, a0, 432)
    c.addi16sp sp, -432
    CHECK_EQ(14, sp, s1)
    c.addi4spn a0, sp, 1020                 /* rd' = sp + nzuimm */
    sub a0, a0, sp
    CHECK_REG(15, a0, 1020)
    c.addi4spn a1, sp, 4
    sub a1, a1, sp
    CHECK_REG(16, a1, 4)

    /* ---- register-register ---- */
    li a1, 0x1234
    c.mv a0, a1
    CHECK_REG(20, a0, 0x1234)
    c.add a0, a1
    CHECK_REG(21, a0, 0x2468)
    li a0, 0xff00ff00
    li a1, 0x0ff0f0f0
    c.and a0, a1
    CHECK_REG(22, a0, 0x0f00f000)
    li a0, 0xff00ff00
    c.or a0, a1
    CHECK_REG(23, a0, 0xfff0fff0)
    li a0, 0xff00ff00
    c.xor a0, a1
    CHECK_REG(24, a0, 0xf0f00ff0)
    li a0, 1
    li a1, 2
    c.sub a0, a1
    CHECK_REG(25, a0, -1)
    li a0, 0x7fffffff
    li a1, 1
    c.addw a0, a1
    CHECK_REG(26, a0, 0xffffffff80000000)
    li a0, 0x100000000
    li a1, 1
    c.subw a0, a1                           /* low halves: 0 - 1 */
    CHECK_REG(27, a0, -1)
    li a0, 0x80000000
    c.subw a0, a1
    CHECK_REG(28, a0, 0x7fffffff)

    /* ---- immediates on x8-x15 and shifts (6-bit shamt on RV64) ---- */
    li a0, 0xff
    c.andi a0, 0x1f
    CHECK_REG(30, a0, 0x1f)
    li a0, 0x12345678
    c.andi a0, -16                          /* imm sign-extends */
    CHECK_REG(31, a0, 0x12345670)
    li a0, 1
    c.slli a0, 63
    CHECK_REG(32, a0, 0x8000000000000000)
    li a0, 0xff
    c.slli a0, 32
    CHECK_REG(33, a0, 0xff00000000)
    li a0, 0x8000000000000000
    c.srli a0, 63
    CHECK_REG(34, a0, 1)
    li a0, -1
    c.srli a0, 32
    CHECK_REG(35, a0, 0xffffffff)
    li a0, 0x8000000000000000
    c.srai a0, 63
    CHECK_REG(36, a0, -1)
    li a0, 0x8000000000000000
    c.srai a0, 32
    CHECK_REG(37, a0, 0xffffffff80000000)
    li a0, 0x40
    c.srai a0, 1
    CHECK_REG(38, a0, 0x20)

    /* ---- loads and stores on x8-x15 (scaled unsigned offsets) ---- */
    la a1, cdata
    c.lw a0, 0(a1)
    CHECK_REG(40, a0, 0xffffffff84858687)   /* sign-extends */
    c.lw a0, 124(a1)                        /* largest c.lw offset */
    CHECK_REG(41, a0, 0x7c7c7c7c)
    c.ld a0, 8(a1)
    CHECK_REG(42, a0, 0xf0f1f2f3f4f5f6f7)
    c.ld a0, 248(a1)                        /* largest c.ld offset */
    CHECK_REG(43, a0, 0x0f8f8f8f8f8f8f8f)
    la a1, cbuf
    li a2, 0x1111111111111111
    sd a2, 0(a1)
    sd a2, 8(a1)
    li a3, 0xffffffffaabbccdd
    c.sw a3, 4(a1)
    ld a0, 0(a1)
    CHECK_REG(44, a0, 0xaabbccdd11111111)
    li a3, 0x0102030405060708
    c.sd a3, 8(a1)
    ld a0, 8(a1)
    CHECK_REG(45, a0, 0x0102030405060708)

    /* ---- sp-relative loads and stores (any rd) ---- */
    c.addi16sp sp, -256
    li t0, 0x0123456789abcdef
    c.sdsp t0, 0(sp)
    c.sdsp t0, 248(sp)
    li t1, 0x80000001
    c.swsp t1, 8(sp)
    c.ldsp t2, 0(sp)
    CHECK_REG(50, t2, 0x0123456789abcdef)
    c.ldsp t2, 248(sp)
    CHECK_REG(51, t2, 0x0123456789abcdef)
    c.lwsp t2, 8(sp)
    CHECK_REG(52, t2, 0xffffffff80000001)
    c.lwsp t2, 4(sp)                        /* upper half of the first doubleword */
    CHECK_REG(53, t2, 0x01234567)
    c.addi16sp sp, 256

    /* ---- FP loads and stores ---- */
    la a1, cdata
    c.fld fa0, 16(a1)
    fmv.x.d a0, fa0
    CHECK_REG(60, a0, 0x400921fb54442d18)   /* pi */
    la a1, cbuf
    c.fsd fa0, 0(a1)
    ld a0, 0(a1)
    CHECK_REG(61, a0, 0x400921fb54442d18)
    c.addi16sp sp, -32
    c.fsdsp fa0, 16(sp)
    c.fldsp ft3, 16(sp)
    fmv.x.d a0, ft3
    CHECK_REG(62, a0, 0x400921fb54442d18)
    c.addi16sp sp, 32

    /* ---- control flow ---- */
    li TESTNUM, 70
    c.j 1f
    j fail
1:  li TESTNUM, 71
    li a0, 0
    c.beqz a0, 2f                           /* taken */
    j fail
2:  li TESTNUM, 72
    li a0, 5
    c.beqz a0, 3f                           /* not taken */
    c.j 4f
3:  j fail
4:  li TESTNUM, 73
    c.bnez a0, 5f                           /* taken */
    j fail
5:  li TESTNUM, 74
    li a0, 0
    c.bnez a0, 6f                           /* not taken */
    c.j 7f
6:  j fail
7:  li TESTNUM, 75
    la a1, 8f
    c.jr a1
    j fail
8:  li TESTNUM, 76
    la a1, 9f
10: c.jalr a1                               /* links pc + 2 */
    FAIL(76)
9:  la a2, 10b
    addi a2, a2, 2
    CHECK_EQ(76, ra, a2)

    /* ---- a 32-bit instruction at an address that is 2 mod 4 ---- */
    .balign 4
    c.nop
11: addi a0, zero, 123                      /* 32-bit, halfword-aligned */
    CHECK_REG(77, a0, 123)
    la a0, 11b
    andi a0, a0, 3
    CHECK_REG(78, a0, 2)
    li TESTNUM, 79
    la a1, 12f
    jalr zero, 0(a1)                        /* jump to a halfword-aligned target */
    .balign 4
    c.nop
12: addi a0, zero, 7
    CHECK_REG(79, a0, 7)

    /* ---- c.ebreak: breakpoint, mepc at the 16-bit instruction ---- */
    EXPECT_TRAP(14f)
13: c.ebreak
    FAIL(80)
14: CHECK_TS(80, TS_MCAUSE, 3)
    la a1, 13b
    ld a0, TS_MEPC(gp)
    CHECK_EQ(81, a0, a1)
    /* mtval is the pc or 0 */
    ld a0, TS_MTVAL(gp)
    beqz a0, 15f
    CHECK_EQ(82, a0, a1)
15:
    /* ---- the all-zero halfword is defined illegal; mtval is its bits (0) or 0 ---- */
    EXPECT_TRAP(17f)
16: .half 0
    FAIL(83)
17: CHECK_TS(83, TS_MCAUSE, 2)
    CHECK_TS(84, TS_MTVAL, 0)
    la a1, 16b
    ld a0, TS_MEPC(gp)
    CHECK_EQ(85, a0, a1)

    /* ---- c.mv to/from various registers, c.add with sp ---- */
    c.li s0, 9
    c.mv t5, s0
    CHECK_REG(86, t5, 9)
    mv a1, sp
    c.mv a0, sp
    CHECK_EQ(87, a0, a1)
    c.nop
    j pass

    .data
    .balign 8
cdata:
    .dword 0x8081828384858687       /* +0 */
    .dword 0xf0f1f2f3f4f5f6f7       /* +8 */
    .dword 0x400921fb54442d18       /* +16: pi */
    .fill 12, 8, 0
    .dword 0x7c7c7c7c00000000       /* +120: word at +124 = 0x7c7c7c7c */
    .fill 15, 8, 0
    .dword 0x0f8f8f8f8f8f8f8f       /* +248 */
cbuf:
    .dword 0, 0
TEST_END

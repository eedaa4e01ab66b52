/*
 * RV64I base integer instructions: arithmetic, logic, shifts (with shamt edge cases and the
 * W forms' sign extension), lui/auipc, branches, jal/jalr, loads/stores of every width,
 * and writes to x0 being ignored.
 */
#include "test.h"

/* Branch `insn a, b` must (TAKEN) or must not (NOT) jump. */
#define TEST_BR_TAKEN(n, insn, a, b) \
    li TESTNUM, n; li a1, a; li a2, b; insn a1, a2, 7774f; j fail; 7774:
#define TEST_BR_NOT(n, insn, a, b) \
    li TESTNUM, n; li a1, a; li a2, b; insn a1, a2, 7775f; j 7776f; 7775: j fail; 7776:

/* a0 = load at data + off, which holds the pattern below. */
#define TEST_LD(n, insn, expect, off) \
    la a1, ldata; insn a0, off(a1); CHECK_REG(n, a0, expect)

/* Store `val` with `insn` at sdata + off (sdata reset to a known pattern first), then
   compare the whole doubleword at sdata with `expect`: only the stored bytes may change. */
#define TEST_ST(n, insn, expect, val, off) \
    la a1, sdata; li a2, 0x1111111111111111; sd a2, 0(a1); sd a2, 8(a1); \
    li a2, val; insn a2, off(a1); ld a0, 0(a1); CHECK_REG(n, a0, expect)

TEST_START
test_body:
    /* ---- add/sub and immediates: 64-bit wraparound ---- */
    TEST_RR(1, add, 5, 2, 3)
    TEST_RR(2, add, 0x8000000000000000, 0x7fffffffffffffff, 1)
    TEST_RR(3, add, 0, -1, 1)
    TEST_RR(4, sub, -1, 2, 3)
    TEST_RR(5, sub, 0x7fffffffffffffff, 0x8000000000000000, 1)
    TEST_RI(6, addi, 0x7ff, 0, 2047)
    TEST_RI(7, addi, -2048, 0, -2048)
    TEST_RI(8, addi, 0xffffffff, 0x100000000, -1)

    /* ---- W forms: 32-bit result, sign-extended to 64 ---- */
    TEST_RR(10, addw, 0xffffffff80000000, 0x7fffffff, 1)
    TEST_RR(11, addw, 0, 0xffffffff, 1)                    /* carry out of bit 31 lost */
    TEST_RR(12, addw, 3, 0x1234567800000001, 2)            /* upper input bits ignored */
    TEST_RR(13, subw, 0x7fffffff, 0x80000000, 1)
    TEST_RR(14, subw, -1, 0, 1)
    TEST_RI(15, addiw, 0xffffffff80000000, 0x7fffffff, 1)
    TEST_RI(16, addiw, 0x7ff, 0xffffffff00000000, 2047)
    TEST_RI(17, addiw, 0xffffffffffffffff, 0x00000000ffffffff, 0)   /* sext.w */

    /* ---- logic ---- */
    TEST_RR(20, and, 0x0f00f000, 0xff00ff00, 0x0ff0f0f0)
    TEST_RR(21, or,  0xfff0fff0, 0xff00ff00, 0x0ff0f0f0)
    TEST_RR(22, xor, 0xf0f00ff0, 0xff00ff00, 0x0ff0f0f0)
    TEST_RI(23, andi, 0x700, 0xff00ff00, 0x70f)
    TEST_RI(24, andi, 0xff00ff00, 0xff00ff00, -1)          /* imm sign-extends */
    TEST_RI(25, ori, 0xffffffffffffff0f, 0x0, -241)
    TEST_RI(26, xori, 0xffffffff00ff00ff, 0xff00ff00, -1)  /* not */
    TEST_RI(27, xori, 0xff00ff0f, 0xff00ff00, 0x00f)

    /* ---- compares ---- */
    TEST_RR(30, slt, 1, -1, 0)
    TEST_RR(31, slt, 0, 0, -1)
    TEST_RR(32, slt, 0, 5, 5)
    TEST_RR(33, sltu, 0, -1, 0)                            /* -1 is the largest unsigned */
    TEST_RR(34, sltu, 1, 0, -1)
    TEST_RI(35, slti, 1, 0x8000000000000000, 0)
    TEST_RI(36, slti, 0, 0, -2048)
    TEST_RI(37, sltiu, 1, 0xfffffffffffffffe, -1)          /* imm sign-extends, then unsigned */
    TEST_RI(38, sltiu, 1, 0, 1)                            /* seqz */
    TEST_RI(39, sltiu, 0, 7, 1)

    /* ---- 64-bit shifts: shamt is the low 6 bits of rs2 ---- */
    TEST_RR(40, sll, 0x8000000000000000, 1, 63)
    TEST_RR(41, sll, 2, 1, 65)                             /* 65 & 63 = 1 */
    TEST_RR(42, sll, 0x1234, 0x1234, 64)                   /* 64 & 63 = 0 */
    TEST_RR(43, srl, 1, 0x8000000000000000, 63)
    TEST_RR(44, srl, 0x4000000000000000, 0x8000000000000000, 0xffffffffffffffc1)
    TEST_RR(45, sra, -1, 0x8000000000000000, 63)
    TEST_RR(46, sra, 0xc000000000000000, 0x8000000000000000, 1)
    TEST_RR(47, sra, 0x3fffffffffffffff, 0x7fffffffffffffff, 1)
    TEST_RI(48, slli, 0x8000000000000000, 1, 63)
    TEST_RI(49, slli, 0xdeadbeef, 0xdeadbeef, 0)
    TEST_RI(50, srli, 1, 0x8000000000000000, 63)
    TEST_RI(51, srli, 0x00000000ffffffff, -1, 32)
    TEST_RI(52, srai, -1, 0x8000000000000000, 63)
    TEST_RI(53, srai, 0xffffffff80000000, 0x8000000000000000, 32)
    TEST_RI(54, srai, 0x7fffffffffffffff, 0x7fffffffffffffff, 0)

    /* ---- 32-bit shifts: low 5 bits of rs2, result sign-extended ---- */
    TEST_RR(60, sllw, 0xffffffff80000000, 1, 31)
    TEST_RR(61, sllw, 2, 1, 33)                            /* 33 & 31 = 1 */
    TEST_RR(62, sllw, 0, 0x100000000, 0)                   /* upper bits dropped */
    TEST_RR(63, srlw, 1, 0x80000000, 31)
    TEST_RR(64, srlw, 0xffffffff80000000, 0xffffffff80000000, 32)  /* shift 0: sext */
    TEST_RR(65, srlw, 0x7fffffff, 0xffffffffffffffff, 1)   /* zero comes in at bit 31 */
    TEST_RR(66, sraw, -1, 0x80000000, 31)
    TEST_RR(67, sraw, 0xffffffffc0000000, 0x80000000, 1)
    TEST_RR(68, sraw, 0x3fffffff, 0xffffffff7fffffff, 1)   /* bit 31 is the sign, not 63 */
    TEST_RI(69, slliw, 0xffffffff80000000, 1, 31)
    TEST_RI(70, slliw, 0x12345678, 0xabcdef0012345678, 0)
    TEST_RI(71, srliw, 1, 0x80000000, 31)
    TEST_RI(72, srliw, 0xffffffff80000000, 0x80000000, 0)
    TEST_RI(73, srliw, 0x0fffffff, -1, 4)
    TEST_RI(74, sraiw, -1, 0x80000000, 31)
    TEST_RI(75, sraiw, 0xfffffffff8000000, 0x80000000, 4)
    TEST_RI(76, sraiw, 0x07ffffff, 0xffffffff7fffffff, 4)

    /* ---- lui / auipc ---- */
    lui a0, 0x80000
    CHECK_REG(80, a0, 0xffffffff80000000)                  /* bit 31 sign-extends */
    lui a0, 0x7ffff
    CHECK_REG(81, a0, 0x7ffff000)
    lui a0, 0
    CHECK_REG(82, a0, 0)
1:  auipc a0, 0
    la a1, 1b
    CHECK_EQ(83, a0, a1)
2:  auipc a0, 1
    la a1, 2b
    sub a0, a0, a1
    CHECK_REG(84, a0, 0x1000)
3:  auipc a0, 0xfffff                                      /* -4096 */
    la a1, 3b
    sub a0, a1, a0
    CHECK_REG(85, a0, 0x1000)

    /* ---- branches ---- */
    TEST_BR_TAKEN(90, beq, 7, 7)
    TEST_BR_NOT(91, beq, 7, 8)
    TEST_BR_TAKEN(92, bne, 7, 8)
    TEST_BR_NOT(93, bne, -1, -1)
    TEST_BR_TAKEN(94, blt, -1, 0)
    TEST_BR_NOT(95, blt, 0, -1)
    TEST_BR_NOT(96, blt, 5, 5)
    TEST_BR_TAKEN(97, bge, 5, 5)
    TEST_BR_TAKEN(98, bge, 0, -1)
    TEST_BR_NOT(99, bge, -1, 0)
    TEST_BR_TAKEN(100, bltu, 0, -1)
    TEST_BR_NOT(101, bltu, -1, 0)
    TEST_BR_TAKEN(102, bgeu, -1, 0)
    TEST_BR_NOT(103, bgeu, 0, -1)
    TEST_BR_TAKEN(104, bgeu, 0, 0)
    /* backward branch */
    li TESTNUM, 105
    li a0, 3
4:  addi a0, a0, -1
    bnez a0, 4b
    CHECK_REG(105, a0, 0)

    /* ---- jal / jalr ---- */
    li TESTNUM, 110
    jal ra, 5f
6:  j fail                                                 /* never reached */
5:  la a1, 6b
    CHECK_EQ(110, ra, a1)                                  /* link = pc + 4 */
    li TESTNUM, 111
    la a1, 7f
    jalr a0, 0(a1)
8:  j fail
7:  la a1, 8b
    CHECK_EQ(111, a0, a1)
    li TESTNUM, 112
    la a1, 9f
    addi a1, a1, 1                                         /* odd target: bit 0 cleared */
    jalr a0, 0(a1)
    j fail
9:  li TESTNUM, 113
    la a1, 10f
    addi a1, a1, -8
    jalr a0, 8(a1)                                         /* offset added before clearing */
    j fail
10: li TESTNUM, 114
    la a1, 11f
    jalr a1, 0(a1)                                         /* rd == rs1: target read first */
12: j fail
11: la a2, 12b
    CHECK_EQ(114, a1, a2)
    li TESTNUM, 115
    jal zero, 13f                                          /* j: no link written to x0 */
    FAIL(115)
13: CHECK_REG(115, zero, 0)

    /* ---- loads: ldata = 0x8081828384858687 0xf0f1f2f3f4f5f6f7 (little-endian) ---- */
    TEST_LD(120, lb,  0xffffffffffffff87, 0)
    TEST_LD(121, lb,  0xffffffffffffff80, 7)
    TEST_LD(122, lbu, 0x87, 0)
    TEST_LD(123, lbu, 0xf0, 15)
    TEST_LD(124, lh,  0xffffffffffff8687, 0)
    TEST_LD(125, lh,  0xffffffffffff8081, 6)
    TEST_LD(126, lhu, 0x8687, 0)
    TEST_LD(127, lhu, 0xf2f3, 12)
    TEST_LD(128, lw,  0xffffffff84858687, 0)
    TEST_LD(129, lw,  0xfffffffff0f1f2f3, 12)
    TEST_LD(130, lwu, 0x84858687, 0)
    TEST_LD(131, lwu, 0x80818283, 4)
    TEST_LD(132, ld,  0x8081828384858687, 0)
    TEST_LD(133, ld,  0xf0f1f2f3f4f5f6f7, 8)
    TEST_LD(134, lb,  0x7f, 16)
    TEST_LD(135, lh,  0x7f7f, 16)
    TEST_LD(136, lw,  0x7f7f7f7f, 16)
    /* negative offset */
    la a1, ldata + 8
    lw a0, -4(a1)
    CHECK_REG(137, a0, 0xffffffff80818283)

    /* ---- stores: only the addressed bytes change ---- */
    TEST_ST(140, sb, 0x11111111111111aa, 0x12345678aa, 0)
    TEST_ST(141, sb, 0xaa11111111111111, 0xaa, 7)
    TEST_ST(142, sh, 0x111111111111bbaa, 0x12bbaa, 0)
    TEST_ST(143, sh, 0xbbaa111111111111, 0xbbaa, 6)
    TEST_ST(144, sw, 0x11111111ddccbbaa, 0x99ddccbbaa, 0)
    TEST_ST(145, sw, 0xddccbbaa11111111, 0xddccbbaa, 4)
    TEST_ST(146, sd, 0x0123456789abcdef, 0x0123456789abcdef, 0)
    /* a doubleword store at +8 leaves +0 alone, and a negative offset reaches back */
    la a1, sdata
    li a2, 0x1111111111111111
    sd a2, 0(a1)
    li a2, 0x2222
    addi a3, a1, 8
    sd a2, 0(a3)
    sh a2, -2(a3)
    ld a0, 0(a1)
    CHECK_REG(147, a0, 0x2222111111111111)
    ld a0, 8(a1)
    CHECK_REG(148, a0, 0x2222)

    /* ---- x0: writes are ignored, reads give 0 ---- */
    addi zero, zero, 5
    CHECK_REG(150, zero, 0)
    li a1, -1
    add zero, a1, a1
    CHECK_REG(151, zero, 0)
    lui zero, 0x12345
    CHECK_REG(152, zero, 0)
    la a1, ldata
    ld zero, 0(a1)                                         /* load still fine, result dropped */
    CHECK_REG(153, zero, 0)
    mv a0, zero
    CHECK_REG(154, a0, 0)

    /* ---- fences are accepted (no observable effect on one hart) ---- */
    fence
    fence rw, rw
    fence.i
    li TESTNUM, 160
    sltu a0, zero, a1                                      /* snez */
    CHECK_REG(160, a0, 1)

    j pass

    .data
    .balign 8
ldata:
    .dword 0x8081828384858687
    .dword 0xf0f1f2f3f4f5f6f7
    .dword 0x7f7f7f7f7f7f7f7f
sdata:
    .dword 0, 0

TEST_END

/*
 * Synchronous traps and privilege changes: ecall from M/S/U, ebreak, illegal instructions
 * (including privileged instructions and CSRs used from too low a mode), delegation through
 * medeleg to S-mode (scause, sepc, stval, sstatus.SPP/SPIE), the mret/sret status stacks,
 * vectored mtvec, misaligned loads/stores (performed or trapped: both are allowed), and
 * access faults on unmapped physical addresses for loads, stores and fetches.
 */
#include "test.h"

/* Unmapped physical addresses on kite, QEMU virt and QEMU spike. */
#define HOLE_LOW   0x800
#define HOLE_HIGH  0x3f00000000

/* An instruction no extension defines: OP with funct7 = 0x7f. */
#define ILLEGAL_INSN 0xfe000033

/* tp = mstatus.MPP as saved at the last M trap */
#define SAVED_MPP(reg) la gp, trap_state; ld reg, TS_MSTATUS(gp); srli reg, reg, 11; andi reg, reg, 3

/*
 * Misaligned access at buf + off: either performed (check the value) or trapped with
 * `cause` and mtval = the address (check both). Either way the test continues.
 *   LOAD: a0 = insn(buf + off), compared with `expect`
 */
#define TEST_MISALIGNED_LOAD(n, insn, off, expect) \
    EXPECT_TRAP(7781f); la a1, mbuf; insn a0, off(a1); DISARM_TRAP; \
    CHECK_REG(n, a0, expect); j 7782f; \
7781: CHECK_TS(n, TS_MCAUSE, 4); la a1, mbuf + off; ld a0, TS_MTVAL(gp); CHECK_EQ(n, a0, a1); \
7782:

/*   STORE: mbuf reset to 0x1111..., insn stores `val` at mbuf + off, then the doubleword
 *   at mbuf + 8 * word must equal `expect` (or the trap is checked). */
#define TEST_MISALIGNED_STORE(n, insn, off, val, word, expect) \
    la a1, mbuf; li a2, 0x1111111111111111; sd a2, 0(a1); sd a2, 8(a1); sd a2, 16(a1); \
    EXPECT_TRAP(7783f); li a2, val; insn a2, off(a1); DISARM_TRAP; \
    ld a0, 8 * word(a1); CHECK_REG(n, a0, expect); j 7784f; \
7783: CHECK_TS(n, TS_MCAUSE, 6); la a1, mbuf + off; ld a0, TS_MTVAL(gp); CHECK_EQ(n, a0, a1); \
7784:

TEST_START
test_body:
    /* ---- ecall from M: cause 11, mepc = the ecall, mtval = 0, MPP = M ---- */
    csrsi mstatus, MSTATUS_MIE                      /* mie = 0, so nothing can fire */
    EXPECT_TRAP(2f)
1:  ecall
    FAIL(1)
2:  CHECK_TS(1, TS_MCAUSE, 11)
    la a1, 1b
    ld a0, TS_MEPC(gp)
    CHECK_EQ(2, a0, a1)
    CHECK_TS(3, TS_MTVAL, 0)
    SAVED_MPP(a0)
    CHECK_REG(4, a0, 3)
    /* trap entry: MPIE = old MIE (1), MIE = 0 */
    la gp, trap_state
    ld a0, TS_MSTATUS(gp)
    andi a0, a0, MSTATUS_MIE | MSTATUS_MPIE
    CHECK_REG(5, a0, MSTATUS_MPIE)
    csrci mstatus, MSTATUS_MIE

    /* ---- ebreak: cause 3, mepc = the ebreak, mtval = pc or 0 ---- */
    EXPECT_TRAP(4f)
3:  ebreak
    FAIL(6)
4:  CHECK_TS(6, TS_MCAUSE, 3)
    la a1, 3b
    ld a0, TS_MEPC(gp)
    CHECK_EQ(7, a0, a1)
    ld a0, TS_MTVAL(gp)
    beqz a0, 5f
    CHECK_EQ(8, a0, a1)
5:
    /* ---- illegal instruction: cause 2, mtval = the instruction or 0 ---- */
    EXPECT_TRAP(7f)
6:  .word ILLEGAL_INSN
    FAIL(9)
7:  CHECK_TS(9, TS_MCAUSE, 2)
    la a1, 6b
    ld a0, TS_MEPC(gp)
    CHECK_EQ(10, a0, a1)
    ld a0, TS_MTVAL(gp)
    beqz a0, 8f
    CHECK_REG(11, a0, ILLEGAL_INSN)
8:
    /* ---- medeleg never sends a trap from M-mode down to S ---- */
    li a1, (1 << 2) | (1 << 3) | (1 << 8)
    csrw medeleg, a1
    EXPECT_TRAP(9f)
    .word ILLEGAL_INSN
    FAIL(12)
9:  CHECK_TS(12, TS_MCAUSE, 2)
    CHECK_TS(13, TS_SCAUSE, -1)
    csrw medeleg, zero

    /* ---- mret to M itself: MIE = MPIE, MPIE = 1, MPP = U (least privileged) ---- */
    li a1, MSTATUS_MPP
    csrs mstatus, a1                                /* MPP = M */
    li a1, MSTATUS_MPIE | MSTATUS_MIE
    csrc mstatus, a1                                /* MPIE = 0, MIE = 0 */
    la a1, 10f
    csrw mepc, a1
    mret
    FAIL(14)
10: csrr a0, mstatus
    li a1, MSTATUS_MPP | MSTATUS_MPIE | MSTATUS_MIE
    and a0, a0, a1
    CHECK_REG(14, a0, MSTATUS_MPIE)

    /* ---- mret to S with MPIE = 0: S runs with MIE = 0, seen in the next trap's MPIE ---- */
    li a1, MSTATUS_MPIE
    csrc mstatus, a1
    ENTER_SMODE(s_ecall)
s_ecall:
    BACK_TO_M(11)
    CHECK_TS(15, TS_MCAUSE, 9)                      /* ecall from S */
    SAVED_MPP(a0)
    CHECK_REG(16, a0, 1)
    la gp, trap_state
    ld a0, TS_MSTATUS(gp)
    andi a0, a0, MSTATUS_MPIE
    CHECK_REG(17, a0, 0)

    /* ---- ... and with MPIE = 1: MIE = 1 in S (ecall shows it as MPIE = 1) ---- */
    li a1, MSTATUS_MPIE
    csrs mstatus, a1
    ENTER_SMODE(s_ecall2)
s_ecall2:
    BACK_TO_M(12)
    CHECK_TS(18, TS_MCAUSE, 9)
    la gp, trap_state
    ld a0, TS_MSTATUS(gp)
    andi a0, a0, MSTATUS_MPIE
    CHECK_REG(19, a0, MSTATUS_MPIE)
    csrci mstatus, MSTATUS_MIE

    /* ---- ecall from U: cause 8, MPP = U ---- */
    ENTER_UMODE(u_ecall)
u_ecall:
    BACK_TO_M(13)
    CHECK_TS(20, TS_MCAUSE, 8)
    SAVED_MPP(a0)
    CHECK_REG(21, a0, 0)

    /* ---- privileged things from lower modes are illegal instructions ---- */
    ENTER_SMODE(s_illegal)
s_illegal:
    EXPECT_TRAP(14f)
    csrr a0, mscratch                               /* M-level CSR from S */
    FAIL(22)
14: CHECK_TS(22, TS_MCAUSE, 2)
    SAVED_MPP(a0)
    CHECK_REG(23, a0, 1)
    ENTER_SMODE(s_mret)
s_mret:
    EXPECT_TRAP(15f)
    mret                                            /* mret from S */
    FAIL(24)
15: CHECK_TS(24, TS_MCAUSE, 2)
    ENTER_UMODE(u_sret)
u_sret:
    EXPECT_TRAP(16f)
    sret                                            /* sret from U */
    FAIL(25)
16: CHECK_TS(25, TS_MCAUSE, 2)
    SAVED_MPP(a0)
    CHECK_REG(26, a0, 0)
    ENTER_UMODE(u_csr)
u_csr:
    EXPECT_TRAP(17f)
    csrr a0, sstatus                                /* S-level CSR from U */
    FAIL(27)
17: CHECK_TS(27, TS_MCAUSE, 2)

    /* ---- delegation: medeleg sends illegal instruction and ecall-from-U to S ---- */
    li a1, (1 << 2) | (1 << 8)
    csrw medeleg, a1
    ENTER_SMODE(s_deleg)
s_deleg:
    csrsi sstatus, MSTATUS_SIE                      /* sie = 0: no interrupt can fire */
    EXPECT_TRAP(19f)
18: .word ILLEGAL_INSN
    FAIL(30)
19: CHECK_TS(30, TS_SCAUSE, 2)
    CHECK_TS(31, TS_MCAUSE, -1)                     /* M never saw it */
    la a1, 18b
    ld a0, TS_SEPC(gp)
    CHECK_EQ(32, a0, a1)
    ld a0, TS_STVAL(gp)
    beqz a0, 20f
    CHECK_REG(33, a0, ILLEGAL_INSN)
20: la gp, trap_state
    ld a0, TS_SSTATUS(gp)
    andi a0, a0, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE
    CHECK_REG(34, a0, MSTATUS_SPP | MSTATUS_SPIE)   /* from S, SIE was 1, now 0 */

    /* sret to U (SPP = 0, SPIE = 0); U's ecall goes to S with SPP = 0 */
    li a1, MSTATUS_SPP | MSTATUS_SPIE
    csrc sstatus, a1
    la a1, u_deleg
    csrw sepc, a1
    sret
u_deleg:
    EXPECT_TRAP(22f)
21: ecall
    FAIL(35)
22: CHECK_TS(35, TS_SCAUSE, 8)
    CHECK_TS(36, TS_MCAUSE, -1)
    la a1, 21b
    ld a0, TS_SEPC(gp)
    CHECK_EQ(37, a0, a1)
    CHECK_TS(38, TS_STVAL, 0)
    la gp, trap_state
    ld a0, TS_SSTATUS(gp)
    andi a0, a0, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE
    CHECK_REG(39, a0, 0)                            /* from U, with SIE = 0 */

    /* sret to S itself: SIE = SPIE, SPIE = 1, SPP = U */
    li a1, MSTATUS_SPP | MSTATUS_SPIE
    csrs sstatus, a1
    csrci sstatus, MSTATUS_SIE
    la a1, 23f
    csrw sepc, a1
    sret
    FAIL(40)
23: csrr a0, sstatus
    andi a0, a0, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE
    CHECK_REG(40, a0, MSTATUS_SPIE | MSTATUS_SIE)
    csrci sstatus, MSTATUS_SIE

    /* ecall from S is not delegated (bit 9 clear): goes to M */
    BACK_TO_M(24)
    CHECK_TS(41, TS_MCAUSE, 9)
    CHECK_TS(42, TS_SCAUSE, -1)
    csrw medeleg, zero

    /* ---- vectored mtvec: interrupts go to base + 4 * code, exceptions to base ---- */
    la a1, vec_table
    ori a1, a1, 1
    csrw mtvec, a1
    csrr a0, mtvec
    CHECK_EQ(43, a0, a1)                            /* vectored mode is supported */
    la a1, vec_hit
    sd zero, 0(a1)
    EXPECT_TRAP(25f)
    li a1, MIP_MSIP
    csrw mie, a1
    li a2, CLINT_BASE + CLINT_MSIP
    li a1, 1
    sw a1, 0(a2)                                    /* raise the machine software interrupt */
    csrsi mstatus, MSTATUS_MIE
    li a3, 1000000                                  /* the CLINT write may take a moment */
26: addi a3, a3, -1
    bnez a3, 26b
    FAIL(44)
25: csrci mstatus, MSTATUS_MIE
    CHECK_TS(44, TS_MCAUSE, CAUSE_INTR | 3)
    la a1, vec_hit
    ld a0, 0(a1)
    CHECK_REG(45, a0, 3)                            /* entry 3 ran */
    sd zero, 0(a1)
    EXPECT_TRAP(27f)
    ecall
    FAIL(46)
27: CHECK_TS(46, TS_MCAUSE, 11)
    la a1, vec_hit
    ld a0, 0(a1)
    CHECK_REG(47, a0, 100)                          /* the base entry ran */
    la a1, trap_entry_m
    csrw mtvec, a1

    /* ---- misaligned loads and stores: performed in hardware or trapped (cause 4/6) ---- */
    la a1, mbuf
    li a2, 0x0706050403020100
    sd a2, 0(a1)
    li a2, 0x0f0e0d0c0b0a0908
    sd a2, 8(a1)
    sd zero, 16(a1)
    TEST_MISALIGNED_LOAD(50, lh, 1, 0x0201)
    TEST_MISALIGNED_LOAD(51, lhu, 7, 0x0807)
    TEST_MISALIGNED_LOAD(52, lw, 1, 0x04030201)
    TEST_MISALIGNED_LOAD(53, lwu, 6, 0x09080706)
    TEST_MISALIGNED_LOAD(54, ld, 4, 0x0b0a090807060504)
    TEST_MISALIGNED_LOAD(55, ld, 9, 0x000f0e0d0c0b0a09)     /* crosses into mbuf + 16 */
    TEST_MISALIGNED_STORE(56, sh, 7, 0xbbaa, 0, 0xaa11111111111111)
    TEST_MISALIGNED_STORE(57, sw, 6, 0xddccbbaa, 1, 0x111111111111ddcc)
    TEST_MISALIGNED_STORE(58, sd, 3, 0x0807060504030201, 0, 0x0504030201111111)
    TEST_MISALIGNED_STORE(59, sd, 3, 0x0807060504030201, 1, 0x1111111111080706)

    /* ---- access faults: nothing is mapped at these physical addresses ---- */
    EXPECT_TRAP(30f)
    li a1, HOLE_LOW
    lw a0, 0(a1)
    FAIL(60)
30: CHECK_TS(60, TS_MCAUSE, 5)
    CHECK_TS(61, TS_MTVAL, HOLE_LOW)
    EXPECT_TRAP(31f)
    li a1, HOLE_HIGH
    ld a0, 0(a1)
    FAIL(62)
31: CHECK_TS(62, TS_MCAUSE, 5)
    CHECK_TS(63, TS_MTVAL, HOLE_HIGH)
    EXPECT_TRAP(32f)
    li a1, HOLE_LOW
    sw a0, 8(a1)
    FAIL(64)
32: CHECK_TS(64, TS_MCAUSE, 7)
    CHECK_TS(65, TS_MTVAL, HOLE_LOW + 8)
    EXPECT_TRAP(33f)
    li a1, HOLE_HIGH
    sd a0, 0(a1)
    FAIL(66)
33: CHECK_TS(66, TS_MCAUSE, 7)
    CHECK_TS(67, TS_MTVAL, HOLE_HIGH)
    EXPECT_TRAP(34f)
    li a1, HOLE_LOW
    amoadd.d a0, a0, (a1)
    FAIL(68)
    /* An AMO reports a store/AMO access fault (7) (riscv-isa-manual issue #469). QEMU 7.2
       reports a load access fault (5); that is accepted unless built with STRICT_SPEC. */
34: la gp, trap_state
    ld a0, TS_MCAUSE(gp)
#ifndef STRICT_SPEC
    li a1, 5
    beq a0, a1, 38f
#endif
    CHECK_REG(68, a0, 7)
38:
    CHECK_TS(69, TS_MTVAL, HOLE_LOW)
    /* fetch: cause 1, mepc = the target; mtval = the target (or 0) */
    EXPECT_TRAP(35f)
    li a1, HOLE_LOW
    jalr ra, 0(a1)
    FAIL(70)
35: CHECK_TS(70, TS_MCAUSE, 1)
    CHECK_TS(71, TS_MEPC, HOLE_LOW)
    ld a0, TS_MTVAL(gp)
    beqz a0, 36f
    CHECK_REG(72, a0, HOLE_LOW)
36:
    /* the same from S-mode (no paging): M gets it, with MPP = S */
    ENTER_SMODE(s_fault)
s_fault:
    EXPECT_TRAP(37f)
    li a1, HOLE_LOW
    ld a0, 16(a1)
    FAIL(73)
37: CHECK_TS(73, TS_MCAUSE, 5)
    CHECK_TS(74, TS_MTVAL, HOLE_LOW + 16)
    SAVED_MPP(a0)
    CHECK_REG(75, a0, 1)

    j pass

    /* mtvec in vectored mode: one 4-byte jump per cause code */
    .balign 256
vec_table:
    j vec_exception                                 /* 0: all exceptions */
    j vec_other                                     /* 1: SSI */
    j vec_other                                     /* 2 */
    j vec_msi                                       /* 3: MSI */
    .rept 12
    j vec_other
    .endr
vec_exception:
    la gp, vec_hit
    li tp, 100
    sd tp, 0(gp)
    j trap_entry_m
vec_msi:
    la gp, vec_hit
    li tp, 3
    sd tp, 0(gp)
    li gp, CLINT_BASE + CLINT_MSIP                  /* lower the interrupt */
    sw zero, 0(gp)
    j trap_entry_m
vec_other:
    la gp, vec_hit
    li tp, 200
    sd tp, 0(gp)
    j trap_entry_m

    .data
    .balign 8
vec_hit: .dword 0
mbuf: .dword 0, 0, 0
TEST_END

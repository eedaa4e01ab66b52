/*
 * Interrupts: the machine timer (CLINT mtimecmp vs mtime) taken out of wfi, the machine
 * software interrupt (CLINT msip), the gates (mie bits, mstatus.MIE, lower modes always
 * open to M interrupts), wfi returning for a pending-but-disabled interrupt, mepc pointing
 * at the next instruction, and supervisor software/timer interrupts delegated to S with
 * mideleg (taken in S and U, never in M).
 */
#include "test.h"

#define MTIMECMP (CLINT_BASE + CLINT_MTIMECMP)
#define MTIME    (CLINT_BASE + CLINT_MTIME)
#define MSIP     (CLINT_BASE + CLINT_MSIP)

/* mtimecmp = mtime + delta (ticks) */
#define TIMER_IN(delta) \
    li t0, MTIME; ld t1, 0(t0); li t0, delta; add t1, t1, t0; li t0, MTIMECMP; sd t1, 0(t0)
/* mtimecmp = all ones: the timer never fires, MTIP drops */
#define TIMER_OFF \
    li t0, MTIMECMP; li t1, -1; sd t1, 0(t0)

/* Wait (bounded) for the armed trap: spins through wfi; fails check n if it never comes. */
#define WAIT_FOR_TRAP(n) \
    li TESTNUM, n; li a3, 100000; 7791: wfi; addi a3, a3, -1; bnez a3, 7791b; j fail

TEST_START
test_body:
    TIMER_OFF

    /* ---- machine timer out of wfi ---- */
    EXPECT_TRAP(1f)
    TIMER_IN(1000)                                  /* 100 us at QEMU's 10 MHz */
    li a1, MIP_MTIP
    csrw mie, a1
    csrsi mstatus, MSTATUS_MIE
    WAIT_FOR_TRAP(1)
1:  csrci mstatus, MSTATUS_MIE
    CHECK_TS(2, TS_MCAUSE, CAUSE_INTR | 7)
    CHECK_TS(3, TS_MTVAL, 0)
    csrr a0, mip                                    /* still pending until mtimecmp moves */
    andi a0, a0, MIP_MTIP
    CHECK_REG(4, a0, MIP_MTIP)
    /* the deadline really passed: mtime >= mtimecmp */
    li t0, MTIMECMP
    ld a1, 0(t0)
    li t0, MTIME
    ld a2, 0(t0)
    li TESTNUM, 5
    bltu a2, a1, fail
    TIMER_OFF
    csrr a0, mip
    andi a0, a0, MIP_MTIP
    CHECK_REG(6, a0, 0)

    /* ---- a pending interrupt is not taken while mstatus.MIE = 0 ---- */
    EXPECT_TRAP(2f)
    li a1, MIP_MTIP
    csrw mie, a1
    TIMER_IN(0)                                     /* due now */
    li a3, 100000                                   /* give it every chance to (wrongly) fire */
3:  addi a3, a3, -1
    bnez a3, 3b
    csrr a0, mip
    andi a0, a0, MIP_MTIP
    CHECK_REG(10, a0, MIP_MTIP)                     /* pending */
    /* wfi must return: an interrupt is pending and enabled in mie, even though MIE = 0 */
    wfi
    CHECK_TS(11, TS_MCAUSE, -1)                     /* ... and nothing was taken */
    /* ... nor while its mie bit is 0, even with MIE = 1 */
    csrw mie, zero
    csrsi mstatus, MSTATUS_MIE
    nop
    nop
    csrci mstatus, MSTATUS_MIE
    CHECK_TS(12, TS_MCAUSE, -1)
    /* opening the gate takes it before the next instruction: mepc = that instruction */
    li a1, MIP_MTIP
    csrw mie, a1
    csrsi mstatus, MSTATUS_MIE
4:  nop
    FAIL(13)
2:  csrci mstatus, MSTATUS_MIE
    CHECK_TS(13, TS_MCAUSE, CAUSE_INTR | 7)
    la a1, 4b
    ld a0, TS_MEPC(gp)
    CHECK_EQ(14, a0, a1)
    /* the trap stacked MIE: MPIE = 1, and MIE was cleared on entry */
    ld a0, TS_MSTATUS(gp)
    andi a0, a0, MSTATUS_MIE | MSTATUS_MPIE
    CHECK_REG(15, a0, MSTATUS_MPIE)
    TIMER_OFF

    /* ---- machine software interrupt through the CLINT's msip ---- */
    EXPECT_TRAP(5f)
    li a1, MIP_MSIP
    csrw mie, a1
    li t0, MSIP
    li t1, 1
    sw t1, 0(t0)
    csrr a0, mip                                    /* visible in mip before enabling */
    csrsi mstatus, MSTATUS_MIE
    WAIT_FOR_TRAP(20)
5:  csrci mstatus, MSTATUS_MIE
    andi a0, a0, MIP_MSIP
    CHECK_REG(21, a0, MIP_MSIP)
    CHECK_TS(22, TS_MCAUSE, CAUSE_INTR | 3)
    li t0, MSIP
    lw a0, 0(t0)
    CHECK_REG(23, a0, 1)                            /* msip reads back */
    sw zero, 0(t0)
    csrr a0, mip
    andi a0, a0, MIP_MSIP
    CHECK_REG(24, a0, 0)

    /* ---- M-level interrupts are always enabled in S-mode, whatever mstatus.MIE says ---- */
    li a1, MIP_SSIP
    csrs mip, a1                                    /* M-mode may raise SSIP in software */
    csrw mie, a1                                    /* not delegated: an M-level interrupt */
    li a1, MSTATUS_MPIE
    csrc mstatus, a1                                /* so MIE = 0 in S */
    EXPECT_TRAP(6f)                                 /* it fires as soon as S starts */
    ENTER_SMODE(s_not_delegated)
s_not_delegated:
    WAIT_FOR_TRAP(30)
6:  CHECK_TS(31, TS_MCAUSE, CAUSE_INTR | 1)         /* taken in M */
    CHECK_TS(32, TS_SCAUSE, -1)
    la gp, trap_state
    ld a0, TS_MSTATUS(gp)
    srli a0, a0, 11
    andi a0, a0, 3
    CHECK_REG(33, a0, 1)                            /* from S */
    li a1, MIP_SSIP
    csrc mip, a1

    /* ---- delegated SSIP: never taken in M, taken in S when SIE = 1 ---- */
    li a1, MIP_SSIP | MIP_STIP
    csrw mideleg, a1
    csrr a0, mideleg                                /* (QEMU's H extension forces VS bits) */
    andi a0, a0, MIP_SSIP | MIP_STIP | MIP_MSIP | MIP_MTIP
    CHECK_REG(40, a0, MIP_SSIP | MIP_STIP)
    csrw mie, zero
    csrsi sie, MIP_SSIP
    csrr a0, mie                                    /* sie is mie's view for delegated bits */
    CHECK_REG(41, a0, MIP_SSIP)
    li a1, MIP_SSIP
    csrs mip, a1
    csrsi mstatus, MSTATUS_MIE | MSTATUS_SIE
    EXPECT_TRAP(7f)
    nop
    nop
    DISARM_TRAP
    csrci mstatus, MSTATUS_MIE | MSTATUS_SIE
    CHECK_TS(42, TS_MCAUSE, -1)                     /* M ignores S-level interrupts */
    CHECK_TS(43, TS_SCAUSE, -1)
    csrr a0, sip
    andi a0, a0, MIP_SSIP
    CHECK_REG(44, a0, MIP_SSIP)                     /* pending, visible through sip */
    ENTER_SMODE(s_ssip)
s_ssip:
    EXPECT_TRAP(7f)
    nop
    nop
    DISARM_TRAP
    CHECK_TS(45, TS_SCAUSE, -1)                     /* SIE = 0: not taken in S */
    EXPECT_TRAP(7f)
    csrsi sstatus, MSTATUS_SIE
    WAIT_FOR_TRAP(46)
7:  csrci sstatus, MSTATUS_SIE
    CHECK_TS(47, TS_SCAUSE, CAUSE_INTR | 1)
    CHECK_TS(48, TS_MCAUSE, -1)
    la gp, trap_state
    ld a0, TS_SSTATUS(gp)
    andi a0, a0, MSTATUS_SPP | MSTATUS_SPIE
    CHECK_REG(49, a0, MSTATUS_SPP | MSTATUS_SPIE)
    csrci sip, MIP_SSIP                             /* S clears its own software interrupt */
    csrr a0, sip
    andi a0, a0, MIP_SSIP
    CHECK_REG(50, a0, 0)

    /* ---- in U-mode, S-level interrupts are enabled whatever sstatus.SIE says ---- */
    csrsi sie, MIP_SSIP                             /* the handler cleared sie */
    csrsi sip, MIP_SSIP
    csrci sstatus, MSTATUS_SIE
    li a1, MSTATUS_SPP | MSTATUS_SPIE               /* to U, with SIE = 0 there */
    csrc sstatus, a1
    la a1, u_ssip
    csrw sepc, a1
    EXPECT_TRAP(8f)                                 /* it fires as soon as U starts */
    sret
u_ssip:
    WAIT_FOR_TRAP(51)
8:  CHECK_TS(52, TS_SCAUSE, CAUSE_INTR | 1)
    la gp, trap_state
    ld a0, TS_SSTATUS(gp)
    andi a0, a0, MSTATUS_SPP
    CHECK_REG(53, a0, 0)                            /* from U */
    csrci sip, MIP_SSIP
    BACK_TO_M(9)

    /* ---- supervisor timer, raised by M-mode through mip.STIP and delegated ---- */
    li a1, MIP_STIP
    csrs mip, a1
    csrw mie, a1
    ENTER_SMODE(s_stip)
s_stip:
    csrr a0, sip
    andi a0, a0, MIP_STIP
    CHECK_REG(60, a0, MIP_STIP)
    EXPECT_TRAP(10f)
    csrsi sstatus, MSTATUS_SIE
    WAIT_FOR_TRAP(61)
10: csrci sstatus, MSTATUS_SIE
    CHECK_TS(62, TS_SCAUSE, CAUSE_INTR | 5)
    /* S cannot clear STIP (only M or the timer can): it is still pending */
    csrr a0, sip
    andi a0, a0, MIP_STIP
    CHECK_REG(63, a0, MIP_STIP)
    BACK_TO_M(11)
    li a1, MIP_STIP
    csrc mip, a1
    csrr a0, mip
    andi a0, a0, MIP_STIP
    CHECK_REG(64, a0, 0)
    csrw mideleg, zero
    csrw mie, zero

    j pass
TEST_END

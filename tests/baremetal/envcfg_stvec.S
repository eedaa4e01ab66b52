/* senvcfg and menvcfg hold what is written; a vectored stvec sends a supervisor software
 * interrupt to base + 4 * 1. */
#include "test.h"
    TEST_START
test_body:
    csrw senvcfg, 1
    csrr a0, senvcfg
    CHECK_REG(1, a0, 1)
    li t0, (1 << 63) | 1
    csrw menvcfg, t0
    csrr a0, menvcfg
    CHECK_EQ(2, a0, t0)
    csrw menvcfg, zero
    /* vectored stvec: SSIP delegated, taken in S at base + 4*1 */
    la a1, svec
    ori a1, a1, 1
    csrw stvec, a1
    csrr a0, stvec
    CHECK_EQ(3, a0, a1)
    li t0, MIP_SSIP
    csrw mideleg, t0
    csrw mie, t0
    la a1, vhit
    sd zero, 0(a1)
    EXPECT_TRAP(6f)
    ENTER_SMODE(5f)
5:  csrsi sip, MIP_SSIP
    csrsi sstatus, MSTATUS_SIE
    nop
    FAIL(4)
6:  csrci sip, MIP_SSIP
    CHECK_TS(4, TS_SCAUSE, CAUSE_INTR | 1)
    la a1, vhit
    ld a0, 0(a1)
    CHECK_REG(5, a0, 1)
    j pass
    .balign 256
svec:
    j sv_other
    j sv_ssi
    .rept 14
    j sv_other
    .endr
sv_ssi:
    la gp, vhit
    li tp, 1
    sd tp, 0(gp)
    j trap_entry_s
sv_other:
    la gp, vhit
    li tp, 99
    sd tp, 0(gp)
    j trap_entry_s
    .data
vhit: .dword 0
    TEST_END

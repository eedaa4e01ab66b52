/*
 * AIA, run under `kite run --irqchip aia` (QEMU's spike board has no IMSIC, so no oracle):
 * an MSI written to the S-level interrupt file of hart 0 is taken in S-mode as a supervisor
 * external interrupt; stopei reports the lowest pending-and-enabled identity and a write
 * claims it; eithreshold hides identities at and above it; eidelivery = 0 silences the
 * file; stopi names SEI while one is pending; and the APLIC's S domain genmsi reaches the
 * same file through the MSI address the M-mode code programmed in the root domain.
 */
#include "test.h"

/* CSR numbers, for assemblers that do not know the AIA names. */
#define SISELECT 0x150
#define SIREG    0x151
#define STOPEI   0x15C
#define STOPI    0xDB0
#define MTOPI    0xFB0

#define EIDELIVERY  0x70
#define EITHRESHOLD 0x72
#define EIE0        0xc0
#define EIP0        0x80

#define S_FILE      0x28000000          /* hart 0's S file: seteipnum_le at offset 0 */
#define APLIC_M     0x0c000000
#define APLIC_S     0x0d000000
#define SMSIADDRCFG 0x1bc8
#define GENMSI      0x3000

/* sireg[isel] = value */
#define SIREG_WRITE(isel, value) \
    li t0, isel; csrw SISELECT, t0; li t0, value; csrw SIREG, t0

/* An MSI of identity id to hart 0's S file, as a device would write it. */
#define SEND_MSI(id) \
    li t0, S_FILE; li t1, id; sw t1, 0(t0)

/* Wait (bounded) for the armed trap; fails check n if it never comes. */
#define WAIT_FOR_TRAP(n) \
    li TESTNUM, n; li a3, 100000; 7791: addi a3, a3, -1; bnez a3, 7791b; j fail

TEST_START
test_body:
    /* Smaia is there (mtopi exists) and nothing is pending for M. */
    csrr a0, MTOPI
    CHECK_REG(1, a0, 0)
    /* The root APLIC sends S-level MSIs to the S files. */
    li t0, APLIC_M + SMSIADDRCFG
    li t1, S_FILE >> 12
    sw t1, 0(t0)
    li t0, MIP_SEIP
    csrw mideleg, t0
    ENTER_SMODE(s_code)

s_code:
    SIREG_WRITE(EIDELIVERY, 1)
    SIREG_WRITE(EITHRESHOLD, 0)
    SIREG_WRITE(EIE0, (1 << 5) | (1 << 7) | (1 << 40))
    li t0, MIP_SEIP
    csrw sie, t0

    /* ---- an MSI taken in S-mode ---- */
    EXPECT_TRAP(1f)
    csrsi sstatus, MSTATUS_SIE
    SEND_MSI(40)
    WAIT_FOR_TRAP(2)
1:  csrci sstatus, MSTATUS_SIE
    CHECK_TS(3, TS_SCAUSE, CAUSE_INTR | 9)
    li t0, MIP_SEIP                         /* the handler cleared sie; stopi needs it */
    csrw sie, t0
    csrr a0, STOPI
    CHECK_REG(4, a0, (9 << 16) | 1)
    csrr a0, STOPEI
    CHECK_REG(5, a0, (40 << 16) | 40)
    csrrw a0, STOPEI, zero                  /* claim */
    CHECK_REG(6, a0, (40 << 16) | 40)
    csrr a0, STOPEI
    CHECK_REG(7, a0, 0)
    csrr a0, sip
    andi a0, a0, MIP_SEIP
    CHECK_REG(8, a0, 0)

    /* ---- the lowest identity first ---- */
    SEND_MSI(40)
    SEND_MSI(5)
    csrrw a0, STOPEI, zero
    CHECK_REG(9, a0, (5 << 16) | 5)
    csrrw a0, STOPEI, zero
    CHECK_REG(10, a0, (40 << 16) | 40)
    csrr a0, STOPI
    CHECK_REG(11, a0, 0)

    /* ---- the threshold hides identities at and above it ---- */
    SIREG_WRITE(EITHRESHOLD, 5)
    SEND_MSI(5)
    csrr a0, STOPEI
    CHECK_REG(12, a0, 0)
    csrr a0, sip
    andi a0, a0, MIP_SEIP
    CHECK_REG(13, a0, 0)
    li t0, EIP0                             /* still pending in eip0 */
    csrw SISELECT, t0
    csrr a0, SIREG
    CHECK_REG(14, a0, 1 << 5)
    SIREG_WRITE(EITHRESHOLD, 0)
    csrrw a0, STOPEI, zero
    CHECK_REG(15, a0, (5 << 16) | 5)

    /* ---- eidelivery = 0: pending and reported, but no interrupt ---- */
    SIREG_WRITE(EIDELIVERY, 0)
    SEND_MSI(7)
    csrr a0, sip
    andi a0, a0, MIP_SEIP
    CHECK_REG(16, a0, 0)
    csrrw a0, STOPEI, zero
    CHECK_REG(17, a0, (7 << 16) | 7)
    SIREG_WRITE(EIDELIVERY, 1)

    /* ---- an MSI from the APLIC's S domain (genmsi) is taken the same way ---- */
    EXPECT_TRAP(2f)
    csrsi sstatus, MSTATUS_SIE
    li t0, APLIC_S + GENMSI
    li t1, 7                                /* hart 0, EIID 7 */
    sw t1, 0(t0)
    WAIT_FOR_TRAP(18)
2:  csrci sstatus, MSTATUS_SIE
    CHECK_TS(19, TS_SCAUSE, CAUSE_INTR | 9)
    csrrw a0, STOPEI, zero
    CHECK_REG(20, a0, (7 << 16) | 7)
    j pass

TEST_END

/*
 * Shared harness for kite's bare-metal RV64GC tests.
 *
 * Protocol (HTIF, as the RISC-V test suites use): the test stores to the 8-byte `tohost`
 * symbol once; 1 means pass, (n << 1) | 1 means check n failed. kite and QEMU's spike
 * board both exit with status n (0 on pass).
 *
 * Failure numbers, so a bare exit status says what went wrong:
 *     1..199   check n failed (TESTNUM held n)
 *   200..215   unexpected exception taken in M-mode, mcause = n - 200
 *   216..231   unexpected exception taken in S-mode, scause = n - 216
 *   232..243   unexpected interrupt taken in M-mode, code = n - 232
 *   244..255   unexpected interrupt taken in S-mode, code = n - 244
 * After a failure, `fail_info` holds {TESTNUM, value checked, value expected} and
 * `trap_state` holds the cause/epc/tval of the last trap, for a debugger.
 *
 * Register conventions (tests must not keep values in these):
 *   s11 (TESTNUM) current check number       t6 expected value in CHECK_*
 *   gp, tp        scratch of the trap handlers and of the macros below
 *
 * Expected traps: EXPECT_TRAP(label) arms the handlers; the next trap (to M or to S,
 * whichever mode it is taken in) records its cause, epc, tval and status in trap_state and
 * resumes at `label` in the mode that took the trap. An interrupt taken this way also clears
 * mie (or sie) so it does not fire again at once. Without EXPECT_TRAP any trap fails the
 * test with the numbers above.
 */
#ifndef KITE_BAREMETAL_TEST_H
#define KITE_BAREMETAL_TEST_H

#define TESTNUM s11

/* mstatus bits */
#define MSTATUS_SIE   0x2
#define MSTATUS_MIE   0x8
#define MSTATUS_SPIE  0x20
#define MSTATUS_MPIE  0x80
#define MSTATUS_SPP   0x100
#define MSTATUS_MPP   0x1800
#define MSTATUS_MPP_S 0x800
#define MSTATUS_FS    0x6000
#define MSTATUS_MPRV  (1 << 17)
#define MSTATUS_SUM   (1 << 18)
#define MSTATUS_MXR   (1 << 19)

/* mip/mie bits */
#define MIP_SSIP 0x2
#define MIP_MSIP 0x8
#define MIP_STIP 0x20
#define MIP_MTIP 0x80
#define MIP_SEIP 0x200
#define MIP_MEIP 0x800

#define CAUSE_INTR (1 << 63)

/* CLINT (same place on QEMU's spike and virt boards and on kite) */
#define CLINT_BASE     0x2000000
#define CLINT_MSIP     0x0
#define CLINT_MTIMECMP 0x4000
#define CLINT_MTIME    0xbff8

/* trap_state layout */
#define TS_RESUME   0
#define TS_MCAUSE   8
#define TS_MEPC     16
#define TS_MTVAL    24
#define TS_MSTATUS  32
#define TS_SCAUSE   40
#define TS_SEPC     48
#define TS_STVAL    56
#define TS_SSTATUS  64
#define TS_COUNT    72      /* expected traps taken so far (both modes) */
#define TS_SIZE     80

/* ---- checks ------------------------------------------------------------------------ */

/* Fails check n unless reg == expect (any 64-bit constant). */
#define CHECK_REG(n, reg, expect) \
    li TESTNUM, n; li t6, expect; beq reg, t6, 7771f; mv tp, reg; j fail_value; 7771:

/* Fails check n unless reg1 == reg2. */
#define CHECK_EQ(n, reg1, reg2) \
    li TESTNUM, n; mv t6, reg2; beq reg1, t6, 7772f; mv tp, reg1; j fail_value; 7772:

/* Fails check n unless reg1 != reg2. */
#define CHECK_NE(n, reg1, reg2) \
    li TESTNUM, n; mv t6, reg2; bne reg1, t6, 7773f; mv tp, reg1; j fail_value; 7773:

/* Fails check n unless the trap_state field at offset off equals expect. */
#define CHECK_TS(n, off, expect) \
    la gp, trap_state; ld tp, off(gp); CHECK_REG(n, tp, expect)

/* Unconditional failure of check n. */
#define FAIL(n) li TESTNUM, n; j fail

/* rd = insn(rs1=a, rs2=b) with a0 = result, a1/a2 = operands. */
#define TEST_RR(n, insn, expect, a, b) \
    li a1, a; li a2, b; insn a0, a1, a2; CHECK_REG(n, a0, expect)

/* rd = insn(rs1=a, imm). */
#define TEST_RI(n, insn, expect, a, imm) \
    li a1, a; insn a0, a1, imm; CHECK_REG(n, a0, expect)

/* rd = insn(rs1=a). */
#define TEST_R(n, insn, expect, a) \
    li a1, a; insn a0, a1; CHECK_REG(n, a0, expect)

/* ---- traps ------------------------------------------------------------------------- */

/* Arms the handlers: the next trap resumes at `resume`. Causes read as -1 until then. */
#define EXPECT_TRAP(resume) \
    la gp, trap_state; la tp, resume; sd tp, TS_RESUME(gp); li tp, -1; \
    sd tp, TS_MCAUSE(gp); sd tp, TS_SCAUSE(gp); sd tp, TS_MTVAL(gp); sd tp, TS_STVAL(gp); \
    sd tp, TS_MEPC(gp); sd tp, TS_SEPC(gp)

/* Disarms the handlers (an expected trap that never came). */
#define DISARM_TRAP \
    la gp, trap_state; sd zero, TS_RESUME(gp)

/* From M-mode: continue at `label` in S-mode / U-mode (mret with MPP set). */
#define ENTER_SMODE(label) \
    li t0, MSTATUS_MPP; csrc mstatus, t0; li t0, MSTATUS_MPP_S; csrs mstatus, t0; \
    la t0, label; csrw mepc, t0; mret
#define ENTER_UMODE(label) \
    li t0, MSTATUS_MPP; csrc mstatus, t0; la t0, label; csrw mepc, t0; mret

/* From S or U mode (ecalls not delegated): ecall back to M-mode, continuing in M right
   after it, at the numeric local label n (e.g. BACK_TO_M(11) defines 11:). */
#define BACK_TO_M(n) \
    EXPECT_TRAP(n##f); ecall; n:

/* ---- start and end ----------------------------------------------------------------- */

/*
 * Compressed encodings only where a test asks for them (rvc.S), so that the other tests
 * exercise the 32-bit forms.
 */
    .option norvc

/*
 * Reset state the tests rely on: no firmware ran, so set everything ourselves. PMP entry 0
 * covers all of memory with RWX: with PMP implemented and no entry, S/U accesses would fault
 * (QEMU enforces this); kite's PMP CSRs are WARL so this is harmless there.
 */
.macro TEST_START
    .section .text.init, "ax", @progbits
    .globl _start
_start:
    la t0, trap_entry_m
    csrw mtvec, t0
    la t0, trap_entry_s
    csrw stvec, t0
    li TESTNUM, 0
    csrw mie, zero
    csrw mideleg, zero
    csrw medeleg, zero
    csrw satp, zero
    li t0, -1
    csrw pmpaddr0, t0
    li t0, 0x1f                 /* L=0, A=NAPOT, X, W, R */
    csrw pmpcfg0, t0
    li t0, 0x2000               /* FS = Initial: FP usable, nothing else enabled */
    csrw mstatus, t0
    csrw fcsr, zero
    la sp, stack_top
    j test_body
.endm

/*
 * Pass/fail exits, the trap handlers and the harness data. Place after the test body, which
 * ends with `j pass`.
 */
.macro TEST_END
    .text
    .globl pass
pass:
    li t0, 1
    j write_tohost

    /* tp = value seen, t6 = value expected, TESTNUM = check */
fail_value:
    la gp, fail_info
    sd TESTNUM, 0(gp)
    sd tp, 8(gp)
    sd t6, 16(gp)
    .globl fail
fail:
    slli t0, TESTNUM, 1
    ori t0, t0, 1
write_tohost:
    la t1, tohost
    sd t0, 0(t1)
1:  j 1b

    /* mtvec (direct mode); aligned so a vectored table can point here too */
    .balign 256
    .globl trap_entry_m
trap_entry_m:
    la gp, trap_state
    ld tp, TS_RESUME(gp)
    beqz tp, trap_unexpected_m
    csrrw tp, mepc, tp          /* resume there, and keep the old mepc */
    sd tp, TS_MEPC(gp)
    sd zero, TS_RESUME(gp)
    csrr tp, mcause
    sd tp, TS_MCAUSE(gp)
    bgez tp, 1f
    csrw mie, zero              /* an interrupt: stop it firing again at once */
1:  csrr tp, mtval
    sd tp, TS_MTVAL(gp)
    csrr tp, mstatus
    sd tp, TS_MSTATUS(gp)
    ld tp, TS_COUNT(gp)
    addi tp, tp, 1
    sd tp, TS_COUNT(gp)
    li tp, MSTATUS_MPP          /* continue in M-mode */
    csrs mstatus, tp
    mret

trap_unexpected_m:
    csrr tp, mcause
    sd tp, TS_MCAUSE(gp)
    csrr tp, mepc
    sd tp, TS_MEPC(gp)
    csrr tp, mtval
    sd tp, TS_MTVAL(gp)
    csrr tp, mcause
    bltz tp, 1f
    andi tp, tp, 15
    addi TESTNUM, tp, 200
    j fail
1:  andi tp, tp, 15
    addi TESTNUM, tp, 232
    j fail

    /* stvec: same as above for traps delegated to S-mode; resumes in S-mode */
    .balign 256
    .globl trap_entry_s
trap_entry_s:
    la gp, trap_state
    ld tp, TS_RESUME(gp)
    beqz tp, trap_unexpected_s
    csrrw tp, sepc, tp
    sd tp, TS_SEPC(gp)
    sd zero, TS_RESUME(gp)
    csrr tp, scause
    sd tp, TS_SCAUSE(gp)
    bgez tp, 1f
    csrw sie, zero
1:  csrr tp, stval
    sd tp, TS_STVAL(gp)
    csrr tp, sstatus
    sd tp, TS_SSTATUS(gp)
    ld tp, TS_COUNT(gp)
    addi tp, tp, 1
    sd tp, TS_COUNT(gp)
    li tp, MSTATUS_SPP          /* continue in S-mode */
    csrs sstatus, tp
    sret

trap_unexpected_s:
    csrr tp, scause
    sd tp, TS_SCAUSE(gp)
    csrr tp, sepc
    sd tp, TS_SEPC(gp)
    csrr tp, stval
    sd tp, TS_STVAL(gp)
    csrr tp, scause
    bltz tp, 1f
    andi tp, tp, 15
    addi TESTNUM, tp, 216
    j fail
1:  andi tp, tp, 15
    addi TESTNUM, tp, 244
    j fail

    /* QEMU finds HTIF through these two symbols; kite through tohost */
    .section .tohost, "aw", @progbits
    .balign 64
    .globl tohost
    .type tohost, @object
    .size tohost, 8             /* QEMU insists on an 8-byte symbol */
tohost: .dword 0
    .globl fromhost
    .type fromhost, @object
    .size fromhost, 8
fromhost: .dword 0

    .data
    .balign 8
    .globl trap_state
trap_state: .zero TS_SIZE
    .globl fail_info
fail_info: .zero 24

    .bss
    .balign 16
stack: .zero 4096
stack_top:
.endm

#endif

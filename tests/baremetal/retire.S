/*
 * An instruction that raises an exception does not retire: minstret does not count it.
 * The unprivileged spec (Zicntr): "Instructions that cause synchronous exceptions,
 * including ECALL and EBREAK, are not considered to retire and hence do not increment the
 * instret CSR"; the privileged spec says the same of ECALL and EBREAK. Interrupts are not
 * instructions and retire nothing either.
 *
 * Each check reads minstret just before a trapping instruction (s5), again as the first
 * instruction of the trap handler (s6), and once more after the handler returned past the
 * trapping instruction (s7): s6 - s5 counts only what retired before the trap, s7 - s6 the
 * handler's own instructions. Covered: ecall from M and S, ebreak, an undefined encoding, a
 * write to a read-only CSR, load and store access faults, a misaligned AMO, load and store
 * page faults under Sv39, and Sdtrig breakpoints on execute and on a load. Each also runs
 * in a hot loop with the trapping instruction in the middle of a straight-line run, so the
 * JIT translates it and the fault is raised from inside a translated block.
 *
 * QEMU_SKIP: QEMU 7.2 counts host clock ticks in minstret, not instructions (and its
 * -icount mode counts ecall as retired, QEMU issue 4087), so this test runs under kite
 * only; see check.sh.
 */
#include "test.h"

#define CSR_TSELECT 0x7a0
#define CSR_TDATA1  0x7a1
#define CSR_TDATA2  0x7a2
#define MC_TYPE2    (2 << 60)
#define MC_LOAD     0x1
#define MC_EXEC     0x4
#define MC_M        0x40

#define SATP_SV39   (8 << 60)
#define PTE_VRWXAD  0xcf            /* V R W X A D */
#define VA_UNMAPPED 0x40000000      /* root[1] stays invalid */
#define PA_HOLE     0x800           /* nothing there on kite's boards */

#define CAUSE_ILLEGAL     2
#define CAUSE_BREAKPOINT  3
#define CAUSE_LOAD_ACCESS 5
#define CAUSE_AMO_MISALIGNED 6
#define CAUSE_STORE_ACCESS 7
#define CAUSE_ECALL_S     9
#define CAUSE_ECALL_M     11
#define CAUSE_LOAD_PAGE   13
#define CAUSE_STORE_PAGE  15

/* Instructions count_handler retires on its way back (mret included), reads excluded. */
#define HANDLER_N 8
/* ... and on its way back to M-mode after an ecall from S (li of MPP is lui + addi). */
#define HANDLER_TO_M_N 11
#define HOT 40

/*
 * One trapping instruction (the last arguments, 4 bytes), minstret read through csr `ctr` (minstret in
 * M, instret in S): checks n (the cause), n + 1 (nothing of it counted), n + 2 (the
 * handler's count).
 */
#define MEASURE(n, ctr, cause, back, ...) \
    li s8, -1; csrr s5, ctr; __VA_ARGS__; csrr s7, ctr; \
    CHECK_REG(n, s8, cause); sub a0, s6, s5; CHECK_REG(n + 1, a0, 1); \
    sub a0, s7, s6; CHECK_REG(n + 2, a0, back)

/*
 * The same HOT times, with two ALU instructions before it so it sits mid-block: check
 * n fails unless every pass saw the cause and exact counts.
 */
#define MEASURE_HOT(n, ctr, cause, ...) \
    li s1, HOT; li s2, 0; \
7790: li s8, -1; csrr s5, ctr; addi a2, a2, 1; addi a3, a3, 1; __VA_ARGS__; csrr s7, ctr; \
    li t1, cause; bne s8, t1, 7791f; sub a0, s6, s5; li t1, 3; bne a0, t1, 7791f; \
    sub a0, s7, s6; li t1, HANDLER_N; beq a0, t1, 7792f; \
7791: addi s2, s2, 1; \
7792: addi s1, s1, -1; bnez s1, 7790b; CHECK_REG(n, s2, 0)

TEST_START
test_body:
    la t0, count_handler
    csrw mtvec, t0
    li s3, PA_HOLE
    la s4, data
    addi s9, s4, 2              /* misaligned for an AMO */

    /* ---- M-mode ---- */
    MEASURE(1, minstret, CAUSE_ECALL_M, HANDLER_N, ecall)
    MEASURE(4, minstret, CAUSE_BREAKPOINT, HANDLER_N, ebreak)
    MEASURE(7, minstret, CAUSE_ILLEGAL, HANDLER_N, .word 0)
    MEASURE(10, minstret, CAUSE_ILLEGAL, HANDLER_N, csrw mvendorid, zero)
    MEASURE(13, minstret, CAUSE_LOAD_ACCESS, HANDLER_N, ld a0, 0(s3))
    MEASURE(16, minstret, CAUSE_STORE_ACCESS, HANDLER_N, sd a0, 0(s3))
    MEASURE(19, minstret, CAUSE_AMO_MISALIGNED, HANDLER_N, amoadd.w a0, a1, (s9))

    MEASURE_HOT(22, minstret, CAUSE_ECALL_M, ecall)
    MEASURE_HOT(23, minstret, CAUSE_BREAKPOINT, ebreak)
    MEASURE_HOT(24, minstret, CAUSE_ILLEGAL, .word 0)
    MEASURE_HOT(25, minstret, CAUSE_ILLEGAL, csrw mvendorid, zero)
    MEASURE_HOT(26, minstret, CAUSE_LOAD_ACCESS, ld a0, 0(s3))
    MEASURE_HOT(27, minstret, CAUSE_STORE_ACCESS, sd a0, 0(s3))
    MEASURE_HOT(28, minstret, CAUSE_AMO_MISALIGNED, amoadd.w a0, a1, (s9))

    /* Interrupts stay out (mie = 0); M-mode triggers fire only while MIE is set. */
    csrw mie, zero
    csrsi mstatus, MSTATUS_MIE

    /* ---- a breakpoint on execute: taken before the instruction, which never runs ---- */
    csrw CSR_TSELECT, zero
    csrw CSR_TDATA1, zero
    la t0, bp_exec
    csrw CSR_TDATA2, t0
    li t0, MC_TYPE2 | MC_EXEC | MC_M
    csrw CSR_TDATA1, t0
    li a4, 0
    li s8, -1
    csrr s5, minstret
bp_exec:
    addi a4, a4, 1              /* skipped by the handler: the trigger fires first */
    csrr s7, minstret
    csrw CSR_TDATA1, zero
    CHECK_REG(29, s8, CAUSE_BREAKPOINT)
    CHECK_REG(30, a4, 0)
    sub a0, s6, s5
    CHECK_REG(31, a0, 1)
    sub a0, s7, s6
    CHECK_REG(32, a0, HANDLER_N)

    /* ---- a breakpoint on a load (before the access) ---- */
    csrw CSR_TDATA1, zero
    csrw CSR_TDATA2, s4
    li t0, MC_TYPE2 | MC_LOAD | MC_M
    csrw CSR_TDATA1, t0
    MEASURE(33, minstret, CAUSE_BREAKPOINT, HANDLER_N, ld a0, 0(s4))
    MEASURE_HOT(36, minstret, CAUSE_BREAKPOINT, ld a0, 0(s4))
    csrw CSR_TDATA1, zero
    csrci mstatus, MSTATUS_MIE

    /* ---- S-mode under Sv39: page faults, and an ecall back to M ---- */
    la a1, pt_root
    li t0, (0x80000 << 10) | PTE_VRWXAD  /* root[2]: identity gigapage over RAM */
    sd t0, 16(a1)
    srli a1, a1, 12
    li t0, SATP_SV39
    or a1, a1, t0
    csrw satp, a1
    sfence.vma
    li t0, 7
    csrw mcounteren, t0         /* S reads instret */
    ENTER_SMODE(s_mode)
s_mode:
    li s10, VA_UNMAPPED
    MEASURE(37, instret, CAUSE_LOAD_PAGE, HANDLER_N, ld a0, 0(s10))
    MEASURE(40, instret, CAUSE_STORE_PAGE, HANDLER_N, sd a0, 0(s10))
    MEASURE_HOT(43, instret, CAUSE_LOAD_PAGE, ld a0, 0(s10))
    MEASURE_HOT(44, instret, CAUSE_STORE_PAGE, sd a0, 0(s10))
    /* the ecall from S comes back in M: the last read is of minstret, in M */
    li s8, -1
    csrr s5, instret
    ecall
    csrr s7, minstret
    CHECK_REG(45, s8, CAUSE_ECALL_S)
    sub a0, s6, s5
    CHECK_REG(46, a0, 1)
    sub a0, s7, s6
    CHECK_REG(47, a0, HANDLER_TO_M_N)
    csrw satp, zero
    sfence.vma

    /* The handler of the harness again, and a last sanity check that minstret counts. */
    la t0, trap_entry_m
    csrw mtvec, t0
    csrr s5, minstret
    nop
    csrr s6, minstret
    sub a0, s6, s5
    CHECK_REG(48, a0, 2)
    j pass

/*
 * Records minstret on entry (s6) and the cause (s8), returns past the 4-byte trapping
 * instruction; after an ecall from S, returns to M-mode. Uses only t0.
 */
    .balign 4
count_handler:
    csrr s6, minstret
    csrr s8, mcause
    csrr t0, mepc
    addi t0, t0, 4
    csrw mepc, t0
    li t0, CAUSE_ECALL_S
    beq s8, t0, 1f
    mret
1:  li t0, MSTATUS_MPP
    csrs mstatus, t0
    mret

    .data
    .balign 8
data: .dword 0x1234

    .bss
    .balign 4096
pt_root: .zero 4096
TEST_END

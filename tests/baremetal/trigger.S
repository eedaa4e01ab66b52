/*
 * Sdtrig triggers (RISC-V debug spec 1.0) as M-mode software uses them for breakpoints and
 * watchpoints: enumeration through tselect, tdata1 as WARL (0 disables, dmode stays 0),
 * address-match triggers of type 2 (mcontrol) and 6 (mcontrol6) with action 0 on execute,
 * load and store. A firing trigger raises a breakpoint exception (cause 3) before the
 * instruction runs or the access is made: epc = the instruction, tval = the address
 * matched. Also: loads and stores through the TLB fast path and in hot (translated) code,
 * FP loads/stores, LR/SC and AMOs, an access covering the address, match >= and <, the
 * m/s/u enables, and the spec's reentrancy rule (no action-0 trigger fires in M-mode while
 * mstatus.MIE is 0, nor in S-mode while SIE is 0 when breakpoints are delegated).
 *
 * QEMU 7.2 fires M-mode triggers whatever MIE says, watches 8 bytes from tdata2 on loads
 * and stores of any size, and has no hit bits: those checks are STRICT_SPEC only.
 */
#include "test.h"

#define CSR_TSELECT 0x7a0
#define CSR_TDATA1  0x7a1
#define CSR_TDATA2  0x7a2
#define CSR_TINFO   0x7a4

#define TYPE2   (2 << 60)
#define TYPE6   (6 << 60)
#define DMODE   (1 << 59)
#define T_LOAD  0x1
#define T_STORE 0x2
#define T_EXEC  0x4
#define T_U     0x8
#define T_S     0x10
#define T_M     0x40
#define MATCH_GE (2 << 7)
#define MATCH_LT (3 << 7)
#define MC_HIT   (1 << 20)
#define MC6_HIT0 (1 << 22)

#define CAUSE_BREAKPOINT 3
#define CAUSE_ECALL_U    8
#define CAUSE_ECALL_S    9

/* The spec's sequence: disable, set the address, then the configuration. */
#define ARM(val, addr_reg) \
    csrw CSR_TDATA1, zero; csrw CSR_TDATA2, addr_reg; li t0, val; csrw CSR_TDATA1, t0
/*
 * Disabled as an mcontrol that matches nothing. (Writing 0 must disable too, and kite's
 * STRICT checks below use it, but QEMU 7.2 keeps a breakpoint armed after that.)
 */
#define DISARM li t0, TYPE2; csrw CSR_TDATA1, t0
/* tdata1 reads back as `val`. */
#define CHECK_TDATA1(n, val) csrr a5, CSR_TDATA1; CHECK_REG(n, a5, val)
/*
 * The last trap was a breakpoint at label `at` (epc) with tval = register `tv`. The
 * privileged spec lets tval be 0 instead (QEMU 7.2 writes 0); kite reports the address,
 * which STRICT_SPEC builds demand.
 */
#ifdef STRICT_SPEC
#define TVAL_ZERO_OK(label)
#else
#define TVAL_ZERO_OK(label) beqz a4, label;
#endif
#define CHECK_BP_M(n, at, tv) \
    CHECK_TS(n, TS_MCAUSE, CAUSE_BREAKPOINT); la a5, at; ld a4, TS_MEPC(gp); \
    CHECK_EQ(n + 1, a4, a5); ld a4, TS_MTVAL(gp); TVAL_ZERO_OK(7779f) \
    CHECK_EQ(n + 2, a4, tv); 7779:

#define HOT 50

TEST_START
test_body:
    /* Action-0 triggers only fire in M-mode with MIE set; mie = 0 keeps interrupts out. */
    li t0, MSTATUS_MIE
    csrs mstatus, t0
    la s2, data

    /* ---- enumeration: tselect holds indices 0..n-1 of triggers that exist ---- */
    csrw CSR_TSELECT, zero
    csrr a0, CSR_TSELECT
    CHECK_REG(1, a0, 0)
    li s1, 0
1:  csrw CSR_TSELECT, s1
    csrr a0, CSR_TSELECT
    bne a0, s1, 2f
    csrr a0, CSR_TDATA1
    srli a0, a0, 60
    beqz a0, 2f
    addi s1, s1, 1
    li t0, 64
    bltu s1, t0, 1b
2:  li TESTNUM, 2
    li t0, 2                    /* the tests below use triggers 0 and 1 */
    bltu s1, t0, fail
    /* written an index with no trigger: it reads back a valid one (WARL) */
    csrw CSR_TSELECT, s1
    csrr a0, CSR_TSELECT
    li TESTNUM, 3
    bgeu a0, s1, fail
    csrw CSR_TSELECT, zero
    /* tinfo names type 2 or 6 among this trigger's types */
    csrr a0, CSR_TINFO
    andi a0, a0, (1 << 2) | (1 << 6)
    CHECK_NE(4, a0, zero)

    /* ---- tdata1 is WARL ---- */
    /* 0 disables: no execute/load/store left, and a type that is not "no trigger" */
    csrw CSR_TDATA1, zero
    csrr a0, CSR_TDATA1
    andi a1, a0, T_LOAD | T_STORE | T_EXEC
    CHECK_REG(5, a1, 0)
    srli a1, a0, 60
    CHECK_NE(6, a1, zero)
#ifdef STRICT_SPEC
    CHECK_REG(7, a1, 15)        /* a trigger of several types disables as type 15 */
#endif
    /* an execute breakpoint reads back as written, tdata2 holds the whole address */
    la a1, never
    ARM(TYPE2 | T_M | T_EXEC, a1)
    CHECK_TDATA1(8, TYPE2 | T_M | T_EXEC)
    csrr a0, CSR_TDATA2
    CHECK_EQ(9, a0, a1)
    li a1, 0x8765432112345678
    csrw CSR_TDATA2, a1
    csrr a0, CSR_TDATA2
    CHECK_EQ(10, a0, a1)
    /* dmode is writable from Debug Mode only */
    li t0, TYPE2 | DMODE | T_M | T_EXEC
    csrw CSR_TDATA1, t0
    csrr a0, CSR_TDATA1
    li t0, DMODE
    and a0, a0, t0
    CHECK_REG(11, a0, 0)
    DISARM
    /* each trigger has its own registers */
    li t0, 1
    csrw CSR_TSELECT, t0
    li a1, 0x1000
    csrw CSR_TDATA2, a1
    csrw CSR_TSELECT, zero
    li a1, 0x2000
    csrw CSR_TDATA2, a1
    li t0, 1
    csrw CSR_TSELECT, t0
    csrr a0, CSR_TDATA2
    CHECK_REG(12, a0, 0x1000)
    csrw CSR_TSELECT, zero
    csrr a0, CSR_TDATA2
    CHECK_REG(13, a0, 0x2000)

    /* ---- execute, M-mode: the trap comes before the instruction ---- */
    la a1, exec_bp
    ARM(TYPE2 | T_M | T_EXEC, a1)
    li a0, 0
    EXPECT_TRAP(3f)
    li a0, 1
exec_bp:
    li a0, 2
    FAIL(14)
3:  CHECK_BP_M(15, exec_bp, a1)
    CHECK_REG(18, a0, 1)
#ifdef STRICT_SPEC
    CHECK_TDATA1(19, TYPE2 | MC_HIT | T_M | T_EXEC)
#endif
    DISARM

#ifdef STRICT_SPEC
    /* ---- M-mode with MIE = 0: an action-0 trigger does not fire (reentrancy) ---- */
    la a1, exec_quiet
    ARM(TYPE2 | T_M | T_EXEC, a1)
    li t0, MSTATUS_MIE
    csrc mstatus, t0
    li a0, 0
exec_quiet:
    li a0, 5
    csrs mstatus, t0
    CHECK_REG(20, a0, 5)
    DISARM
#endif

    /* ---- execute in hot code: the breakpoint lands in the middle of a block ---- */
    li s1, HOT
1:  jal ra, hot_fn
    addi s1, s1, -1
    bnez s1, 1b
    la a1, hot_mid
    ARM(TYPE2 | T_M | T_EXEC, a1)
    EXPECT_TRAP(4f)
    jal ra, hot_fn
    FAIL(21)
4:  CHECK_BP_M(22, hot_mid, a1)
    CHECK_REG(25, a2, 1)        /* the instructions before it ran */
    CHECK_REG(26, a3, 0)        /* it did not */
    DISARM
    jal ra, hot_fn              /* disarmed: runs through */
    CHECK_REG(27, a3, 1)
#ifdef STRICT_SPEC
    ARM(TYPE2 | T_M | T_EXEC, a1)
    csrw CSR_TDATA1, zero       /* writing 0 disables */
    jal ra, hot_fn
    CHECK_REG(50, a3, 1)
#endif

    /* ---- load: before the access, also after the TLB has the page, and in hot code ---- */
    li s1, HOT
1:  ld a0, 0(s2)
    addi s1, s1, -1
    bnez s1, 1b
    ARM(TYPE2 | T_M | T_LOAD, s2)
    CHECK_TDATA1(28, TYPE2 | T_M | T_LOAD)
    li a0, 0x55
    EXPECT_TRAP(5f)
ld_at:
    ld a0, 0(s2)
    FAIL(29)
5:  CHECK_BP_M(30, ld_at, s2)
    CHECK_REG(33, a0, 0x55)     /* nothing loaded */
    ld a0, 8(s2)                /* the next dword: no match */
    CHECK_REG(34, a0, 0x2222222222222222)
    li a1, 0x1111111111111111
    sd a1, 0(s2)                /* a store: not watched */
    /* FP loads, LR and AMOs are loads too */
    EXPECT_TRAP(6f)
fld_at:
    fld fa0, 0(s2)
    FAIL(35)
6:  CHECK_BP_M(36, fld_at, s2)
    EXPECT_TRAP(7f)
lr_at:
    lr.d a0, (s2)
    FAIL(39)
7:  CHECK_BP_M(40, lr_at, s2)
    li a1, 5
    EXPECT_TRAP(8f)
amo_ld_at:
    amoadd.d a0, a1, (s2)
    FAIL(43)
8:  CHECK_BP_M(44, amo_ld_at, s2)
    /* an access covering the address fires, tval = the address matched */
    addi a1, s2, 4
    ARM(TYPE2 | T_M | T_LOAD, a1)
    EXPECT_TRAP(9f)
cover_at:
    ld a0, 0(s2)
    FAIL(47)
9:  CHECK_BP_M(48, cover_at, a1)
    DISARM

    /* ---- a load watchpoint in a hot loop over an array: fires at the element ---- */
    la s3, array
    li s1, 3                    /* three warm passes, untriggered */
1:  jal ra, sum_array
    addi s1, s1, -1
    bnez s1, 1b
    CHECK_REG(51, a0, 120)      /* 0 + 1 + ... + 15 */
    addi a1, s3, 8 * 10
    ARM(TYPE2 | T_M | T_LOAD, a1)
    EXPECT_TRAP(10f)
    jal ra, sum_array
    FAIL(52)
10: CHECK_TS(53, TS_MCAUSE, CAUSE_BREAKPOINT)
    ld a4, TS_MTVAL(gp)
    TVAL_ZERO_OK(7779f)
    CHECK_EQ(54, a4, a1)
7779:
    CHECK_REG(55, a2, 10)       /* elements 0..9 were summed */
    CHECK_REG(56, a0, 45)
    DISARM

    /* ---- store: before the access ---- */
    li a1, 0x1111111111111111
    sd a1, 0(s2)
    li s1, HOT
1:  sd a1, 0(s2)
    addi s1, s1, -1
    bnez s1, 1b
    ARM(TYPE2 | T_M | T_STORE, s2)
    li a1, 0x3333
    EXPECT_TRAP(11f)
sd_at:
    sd a1, 0(s2)
    FAIL(57)
11: CHECK_BP_M(58, sd_at, s2)
    ld a0, 0(s2)                /* unchanged, and a load is not watched */
    CHECK_REG(61, a0, 0x1111111111111111)
    sd a1, 8(s2)                /* the next dword: no match */
    ld a0, 8(s2)
    CHECK_REG(62, a0, 0x3333)
    EXPECT_TRAP(12f)
fsd_at:
    fsd fa0, 0(s2)
    FAIL(63)
12: CHECK_BP_M(64, fsd_at, s2)
    lr.d a0, (s2)
    EXPECT_TRAP(13f)
sc_at:
    sc.d a0, a1, (s2)
    FAIL(67)
13: CHECK_BP_M(68, sc_at, s2)
    EXPECT_TRAP(14f)
amo_st_at:
    amoswap.d a0, a1, (s2)
    FAIL(71)
14: CHECK_BP_M(72, amo_st_at, s2)
    ld a0, 0(s2)
    CHECK_REG(75, a0, 0x1111111111111111)
#ifdef STRICT_SPEC
    /* words beside a watched byte do not cover it (QEMU watches 8 bytes from it)... */
    addi a1, s2, 4
    ARM(TYPE2 | T_M | T_LOAD, a1)
    lw a0, 0(s2)
    lw a0, 8(s2)
    /* ...a misaligned access across it does */
    EXPECT_TRAP(15f)
mis_at:
    ld a0, 1(s2)
    FAIL(76)
15: CHECK_BP_M(77, mis_at, a1)
#endif
    DISARM

    /* ---- mcontrol6 (type 6): the same store watchpoint ---- */
    ARM(TYPE6 | T_M | T_STORE, s2)
    csrr a0, CSR_TDATA1
    li t0, TYPE6 | T_M | T_STORE
    bne a0, t0, no_type6        /* type 6 not offered by this trigger (WARL) */
    li a1, 0x4444
    EXPECT_TRAP(16f)
sd6_at:
    sd a1, 0(s2)
    FAIL(80)
16: CHECK_BP_M(81, sd6_at, s2)
#ifdef STRICT_SPEC
    CHECK_TDATA1(84, TYPE6 | MC6_HIT0 | T_M | T_STORE)
    li t0, TYPE6 | T_M | T_STORE    /* hit0 is cleared by writing it */
    csrw CSR_TDATA1, t0
    CHECK_TDATA1(85, TYPE6 | T_M | T_STORE)
#endif
no_type6:
#ifdef STRICT_SPEC
    csrr a0, CSR_TDATA1
    li t0, TYPE6 | T_M | T_STORE
    CHECK_EQ(86, a0, t0)        /* kite offers type 6 */
#endif
    DISARM

    /* ---- match >= and < (on loads) ---- */
    addi a1, s2, 16
    ARM(TYPE2 | T_M | T_LOAD | MATCH_GE, a1)
    csrr a0, CSR_TDATA1
    li t0, TYPE2 | T_M | T_LOAD | MATCH_GE
#ifdef STRICT_SPEC
    CHECK_EQ(87, a0, t0)
#endif
    bne a0, t0, no_ge
    ld a0, 0(s2)
    ld a0, 8(s2)
    EXPECT_TRAP(17f)
ge_at:
    ld a0, 16(s2)
    FAIL(88)
17: CHECK_BP_M(89, ge_at, a1)
    addi a1, s2, 24
    EXPECT_TRAP(18f)
ge_at2:
    ld a0, 24(s2)
    FAIL(92)
18: CHECK_BP_M(93, ge_at2, a1)
no_ge:
    addi a1, s2, 8
    ARM(TYPE2 | T_M | T_LOAD | MATCH_LT, a1)
    csrr a0, CSR_TDATA1
    li t0, TYPE2 | T_M | T_LOAD | MATCH_LT
#ifdef STRICT_SPEC
    CHECK_EQ(96, a0, t0)
#endif
    bne a0, t0, no_lt
    ld a0, 8(s2)
    ld a0, 16(s2)
    EXPECT_TRAP(19f)
lt_at:
    ld a0, 0(s2)
    FAIL(97)
19: DISARM                      /* trap_state lies below data: its loads match too */
    CHECK_BP_M(98, lt_at, s2)
no_lt:
    DISARM

    /* ---- privilege enables ---- */
    /* u: fires in U-mode, trapping to M */
    la a1, u_bp
    ARM(TYPE2 | T_U | T_EXEC, a1)
    EXPECT_TRAP(20f)
    ENTER_UMODE(u_code)
20: CHECK_BP_M(101, u_bp, a1)
    CHECK_REG(104, a0, 1)
    /* m and s only: U-mode runs through to its ecall */
    la a1, u_bp
    ARM(TYPE2 | T_M | T_S | T_EXEC, a1)
    EXPECT_TRAP(21f)
    ENTER_UMODE(u_code)
21: CHECK_TS(105, TS_MCAUSE, CAUSE_ECALL_U)
    CHECK_REG(106, a0, 2)
    /* s: fires in S-mode */
    la a1, s_bp
    ARM(TYPE2 | T_S | T_EXEC, a1)
    EXPECT_TRAP(22f)
    ENTER_SMODE(s_code)
22: CHECK_BP_M(107, s_bp, a1)
    CHECK_REG(110, a0, 1)
    /* m and u only: S-mode runs through */
    ARM(TYPE2 | T_M | T_U | T_EXEC, a1)
    EXPECT_TRAP(23f)
    ENTER_SMODE(s_code)
23: CHECK_TS(111, TS_MCAUSE, CAUSE_ECALL_S)
    CHECK_REG(112, a0, 2)
    DISARM

    /* ---- breakpoints delegated to S: an S-mode load watchpoint trapping to S ---- */
    li t0, 1 << CAUSE_BREAKPOINT
    csrw medeleg, t0
    ARM(TYPE2 | T_S | T_LOAD, s2)
    li t0, MSTATUS_SIE
    csrs mstatus, t0
    ENTER_SMODE(s_watch)
s_watch:
    li a0, 0x77
    EXPECT_TRAP(24f)
s_ld_at:
    ld a0, 0(s2)
    FAIL(113)
24: CHECK_TS(114, TS_SCAUSE, CAUSE_BREAKPOINT)
    la a5, s_ld_at
    ld a4, TS_SEPC(gp)
    CHECK_EQ(115, a4, a5)
    ld a4, TS_STVAL(gp)
    TVAL_ZERO_OK(7779f)
    CHECK_EQ(116, a4, s2)
7779:
    CHECK_REG(117, a0, 0x77)
#ifdef STRICT_SPEC
    /* with SIE = 0 it must not fire in S-mode (reentrancy: S handles it) */
    li t0, MSTATUS_SIE
    csrc sstatus, t0
    ld a0, 0(s2)
    CHECK_REG(118, a0, 0x1111111111111111)
#endif
    BACK_TO_M(25)
    DISARM
    csrw medeleg, zero
    j pass

/* Leaf functions for the hot-code tests. */
hot_fn:
    li a2, 0
    li a3, 0
    addi a2, a2, 1
hot_mid:
    addi a3, a3, 1
    addi a4, a4, 1
    ret

/* a0 = sum of the 16 dwords at s3, a2 = elements done */
sum_array:
    li a0, 0
    li a2, 0
    mv a6, s3
    li a7, 16
1:  ld t1, 0(a6)
    add a0, a0, t1
    addi a2, a2, 1
    addi a6, a6, 8
    bne a2, a7, 1b
    ret

never:
    FAIL(199)

/* U-mode: a0 = 1, then the breakpoint address, then ecall to M. */
u_code:
    li a0, 1
u_bp:
    li a0, 2
    ecall

s_code:
    li a0, 1
s_bp:
    li a0, 2
    ecall

TEST_END

    .data
    .balign 8
data:
    .dword 0x1111111111111111
    .dword 0x2222222222222222
    .dword 0x3333333333333333
    .dword 0x4444444444444444
array:
    .dword 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15

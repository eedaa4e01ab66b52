/*
 * Virtual memory: Sv39 and Sv48 page tables built here, S-mode (and U-mode) running with
 * translation. Checks: translated loads/stores, load/store/instruction page faults with
 * stval = va (delegated to S via medeleg), read-only and invalid pages, W-without-R,
 * execute-only pages and MXR, U pages and SUM, U-mode fetch rules, A/D bits (set by
 * hardware or page fault: both allowed), misaligned super- and gigapages, non-canonical
 * addresses, sfence.vma after a PTE change, MPRV in M-mode, an aligned megapage, and a
 * 4-level Sv48 walk including an address beyond Sv39's reach.
 *
 * Physical layout: the 1 GiB gigapage at 0x80000000 is identity-mapped (code, data,
 * tohost, page tables), so S-mode keeps running at the same addresses. Test pages live
 * at 0x40000000 (root[1] -> L1 -> L0).
 */
#include "test.h"

#define PTE_V 0x01
#define PTE_R 0x02
#define PTE_W 0x04
#define PTE_X 0x08
#define PTE_U 0x10
#define PTE_G 0x20
#define PTE_A 0x40
#define PTE_D 0x80

#define SATP_SV39 (8 << 60)
#define SATP_SV48 (9 << 60)

/* Virtual addresses under test (L0 index in brackets) */
#define VA_RW    0x40000000     /* [0] RW page */
#define VA_RO    0x40001000     /* [1] read-only */
#define VA_INV   0x40002000     /* [2] invalid PTE */
#define VA_XO    0x40003000     /* [3] execute-only, holds code */
#define VA_U     0x40004000     /* [4] U page, RW */
#define VA_AD    0x40005000     /* [5] RW with A = D = 0 */
#define VA_SF    0x40006000     /* [6] remapped during the test (sfence.vma) */
#define VA_WO    0x40007000     /* [7] W without R: reserved */
#define VA_UX    0x40008000     /* [8] U page, RX, holds code */
#define VA_MEGA_BAD 0x40200000  /* L1[1]: megapage leaf whose PPN is not 2 MiB aligned */
#define VA_MEGA  0x40400000     /* L1[2]: 2 MiB megapage onto the start of RAM, read-only */
#define VA_GIGA_BAD 0xc0000000  /* root[3]: gigapage leaf not 1 GiB aligned */
#define VA_HIGH  0x8000000000   /* non-canonical in Sv39; Sv48 maps it to RAM */
#define VA_NONCANON48 0x800000000000

#define MARK_RW  0x1111222233334444
#define MARK_RO  0x5555666677778888
#define MARK_U   0x0123012301230123
#define MARK_ALT 0xa1a1a1a1b2b2b2b2

/* PTE for physical address `pa` (a register), into reg */
#define PTE_OF(reg, pa, flags) srli reg, pa, 12; slli reg, reg, 10; ori reg, reg, flags
/* table[index] = leaf/pointer to the page at symbol `sym` */
#define SET_PTE(table, index, sym, flags) \
    la t1, sym; PTE_OF(t1, t1, flags); la t2, table; sd t1, 8*index(t2)
/* table[index] = raw value */
#define SET_PTE_RAW(table, index, value) \
    li t1, value; la t2, table; sd t1, 8*index(t2)

/* In S-mode, with page faults delegated to S: the access must fault with `cause`,
   stval = va. */
#define TEST_LOAD_PF(n, va) \
    li TESTNUM, n; EXPECT_TRAP(7801f); li a1, va; ld a0, 0(a1); j fail; \
7801: CHECK_TS(n, TS_SCAUSE, 13); CHECK_TS(n, TS_STVAL, va)
#define TEST_STORE_PF(n, va) \
    li TESTNUM, n; EXPECT_TRAP(7802f); li a1, va; sd a1, 0(a1); j fail; \
7802: CHECK_TS(n, TS_SCAUSE, 15); CHECK_TS(n, TS_STVAL, va)
#define TEST_AMO_PF(n, va) \
    li TESTNUM, n; EXPECT_TRAP(7804f); li a1, va; amoadd.d a0, a1, (a1); j fail; \
7804: CHECK_TS(n, TS_SCAUSE, 15); CHECK_TS(n, TS_STVAL, va)
#define TEST_FETCH_PF(n, va) \
    li TESTNUM, n; EXPECT_TRAP(7803f); li a1, va; jalr ra, 0(a1); j fail; \
7803: CHECK_TS(n, TS_SCAUSE, 12); CHECK_TS(n, TS_STVAL, va); CHECK_TS(n, TS_SEPC, va)

TEST_START
test_body:
    /* ---- build the tables (zero everything first: no trust in the loader) ---- */
    la a1, vm_area
    la a2, vm_area_end
1:  sd zero, 0(a1)
    addi a1, a1, 8
    bltu a1, a2, 1b

    /* root: [1] -> L1 (test pages), [2] = identity gigapage over RAM, [3] = bad gigapage */
    SET_PTE(pt_root, 1, pt_l1, PTE_V)
    SET_PTE_RAW(pt_root, 2, (0x80000 << 10) | PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
    SET_PTE_RAW(pt_root, 3, (0x80200 << 10) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
    /* L1: [0] -> L0, [1] = misaligned megapage, [2] = megapage onto 0x80000000 */
    SET_PTE(pt_l1, 0, pt_l0, PTE_V)
    SET_PTE_RAW(pt_l1, 1, (0x80001 << 10) | PTE_V | PTE_R | PTE_A)
    SET_PTE_RAW(pt_l1, 2, (0x80000 << 10) | PTE_V | PTE_R | PTE_A)
    /* L0: 4 KiB pages */
    SET_PTE(pt_l0, 0, pg_rw, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
    SET_PTE(pt_l0, 1, pg_ro, PTE_V | PTE_R | PTE_A)
    /* [2] stays 0: invalid */
    SET_PTE(pt_l0, 3, pg_xo, PTE_V | PTE_X | PTE_A)
    SET_PTE(pt_l0, 4, pg_u, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D)
    SET_PTE(pt_l0, 5, pg_ad, PTE_V | PTE_R | PTE_W)
    SET_PTE(pt_l0, 6, pg_rw, PTE_V | PTE_R | PTE_A)
    SET_PTE(pt_l0, 7, pg_rw, PTE_V | PTE_W | PTE_A | PTE_D)
    SET_PTE(pt_l0, 8, pg_ux, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A)
    /* Sv48: root48[0] reuses the Sv39 root as its level-2 table; root48[1] -> a level-2
       table whose [0] is a gigapage onto RAM, so VA 0x80_0000_0000 reads RAM */
    SET_PTE(pt_root48, 0, pt_root, PTE_V)
    SET_PTE(pt_root48, 1, pt_l2hi, PTE_V)
    SET_PTE_RAW(pt_l2hi, 0, (0x80000 << 10) | PTE_V | PTE_R | PTE_A)

    /* page contents */
    la a1, pg_rw
    li a2, MARK_RW
    sd a2, 0(a1)
    la a1, pg_ro
    li a2, MARK_RO
    sd a2, 0(a1)
    la a1, pg_u
    li a2, MARK_U
    sd a2, 0(a1)
    la a1, pg_alt
    li a2, MARK_ALT
    sd a2, 0(a1)
    la a1, xo_code                                  /* code for the execute-only page */
    la a2, pg_xo
    ld a3, 0(a1)
    sd a3, 0(a2)
    la a1, u_code                                   /* code for the U page */
    la a2, pg_ux
    ld a3, 0(a1)
    sd a3, 0(a2)
    ld a3, 8(a1)
    sd a3, 8(a2)
    fence.i

    /* page faults go to S; turn on Sv39 */
    li a1, (1 << 12) | (1 << 13) | (1 << 15)
    csrw medeleg, a1
    la a1, pt_root
    srli a1, a1, 12
    li a2, SATP_SV39
    or a1, a1, a2
    csrw satp, a1
    sfence.vma
    csrr a0, satp
    CHECK_EQ(1, a0, a1)

    /* ---- MPRV: M-mode loads translated as S while MPRV = 1, MPP = S ---- */
    li a1, MSTATUS_MPP
    csrc mstatus, a1
    li a1, MSTATUS_MPP_S | MSTATUS_MPRV
    csrs mstatus, a1
    li a1, VA_RW
    ld a0, 0(a1)
    li a1, MSTATUS_MPRV
    csrc mstatus, a1
    CHECK_REG(2, a0, MARK_RW)

    ENTER_SMODE(s_main)
s_main:
    /* ---- plain translation ---- */
    li a1, VA_RW
    ld a0, 0(a1)
    CHECK_REG(3, a0, MARK_RW)
    li a2, 0x600dcafe
    sw a2, 0x7f8(a1)                                /* store through the mapping ... */
    la a3, pg_rw
    lw a0, 0x7f8(a3)                                /* ... lands in the physical page */
    CHECK_REG(4, a0, 0x600dcafe)
    li a1, VA_RO
    ld a0, 0(a1)
    CHECK_REG(5, a0, MARK_RO)
    li a1, VA_MEGA                                  /* 2 MiB megapage onto RAM start */
    lwu a0, 0(a1)
    li a2, 0x80000000
    lwu a3, 0(a2)
    CHECK_EQ(6, a0, a3)
    li a1, VA_MEGA + 0x1000                         /* offset bits come from the va */
    lwu a0, 0(a1)
    li a2, 0x80001000
    lwu a3, 0(a2)
    CHECK_EQ(7, a0, a3)

    /* ---- page faults ---- */
    TEST_STORE_PF(10, VA_RO)                        /* store to a read-only page */
    TEST_LOAD_PF(11, VA_INV)                        /* invalid PTE */
    TEST_STORE_PF(12, VA_INV)
    TEST_FETCH_PF(13, VA_INV)
    TEST_FETCH_PF(14, VA_RW)                        /* not executable */
    TEST_LOAD_PF(15, VA_WO)                         /* W without R is reserved */
    TEST_STORE_PF(16, VA_WO)
    TEST_LOAD_PF(17, VA_MEGA_BAD)                   /* misaligned megapage */
    TEST_LOAD_PF(18, VA_GIGA_BAD)                   /* misaligned gigapage */
    TEST_LOAD_PF(19, VA_HIGH)                       /* bits 63..39 != bit 38 */
    TEST_STORE_PF(20, VA_MEGA)                      /* read-only megapage */
    /* sepc is the faulting instruction */
    EXPECT_TRAP(3f)
    li a1, VA_INV
2:  lw a0, 4(a1)
    FAIL(21)
3:  la a1, 2b
    la gp, trap_state
    ld a0, TS_SEPC(gp)
    CHECK_EQ(21, a0, a1)
    CHECK_TS(22, TS_STVAL, VA_INV + 4)              /* the exact address, not the page */
    CHECK_TS(23, TS_MCAUSE, -1)                     /* delegated: M saw nothing */
    /* AMOs never raise load page faults: store/AMO page fault even on an invalid page */
    TEST_AMO_PF(24, VA_RO)
#ifdef STRICT_SPEC
    TEST_AMO_PF(25, VA_INV)                         /* QEMU 7.2 raises a load page fault */
#endif

    /* ---- execute-only page: runs, unreadable, readable with MXR ---- */
    li TESTNUM, 30
    li a0, 0
    li a1, VA_XO
    jalr ra, 0(a1)                                  /* xo_code: a0 = 0x77, return */
    CHECK_REG(30, a0, 0x77)
    TEST_LOAD_PF(31, VA_XO)
    li a1, MSTATUS_MXR
    csrs sstatus, a1
    li a1, VA_XO
    lwu a0, 0(a1)
    la a2, xo_code
    lwu a3, 0(a2)
    CHECK_EQ(32, a0, a3)
    TEST_STORE_PF(33, VA_XO)                        /* MXR does not make it writable */
    li a1, MSTATUS_MXR
    csrc sstatus, a1

    /* ---- U pages from S: faults unless SUM; never executable ---- */
    TEST_LOAD_PF(40, VA_U)
    TEST_STORE_PF(41, VA_U)
    li a1, MSTATUS_SUM
    csrs sstatus, a1
    li a1, VA_U
    ld a0, 0(a1)
    CHECK_REG(42, a0, MARK_U)
    sd a0, 8(a1)
    ld a0, 8(a1)
    CHECK_REG(43, a0, MARK_U)
    TEST_FETCH_PF(44, VA_UX)                        /* SUM does not allow execution */
    li a1, MSTATUS_SUM
    csrc sstatus, a1

    /* ---- U-mode: runs U code, reads U data, faults on S pages ---- */
    li a0, 0
    li a2, 0
    li a3, VA_U
    li a1, VA_RW                                    /* u_code loads this: must fault */
    li t0, MSTATUS_SPP
    csrc sstatus, t0
    li t0, VA_UX
    csrw sepc, t0
    EXPECT_TRAP(4f)
    sret
4:  CHECK_REG(50, a0, 0x66)                         /* U ran u_code ... */
    CHECK_REG(51, a2, MARK_U)                       /* ... read its U page ... */
    CHECK_TS(52, TS_SCAUSE, 13)                     /* ... and faulted on the S page */
    CHECK_TS(53, TS_STVAL, VA_RW)
    CHECK_TS(54, TS_SEPC, VA_UX + 8)
    la gp, trap_state
    ld a0, TS_SSTATUS(gp)
    andi a0, a0, MSTATUS_SPP
    CHECK_REG(55, a0, 0)                            /* from U */
    /* U fetching from an S page (the identity gigapage): instruction page fault */
    li t0, MSTATUS_SPP
    csrc sstatus, t0
    la t0, 5f
    csrw sepc, t0
    EXPECT_TRAP(6f)
    sret
5:  j fail
6:  CHECK_TS(56, TS_SCAUSE, 12)
    la a1, 5b
    ld a0, TS_STVAL(gp)
    CHECK_EQ(57, a0, a1)

    /* ---- A and D: set by hardware, or a page fault for software to set them ---- */
    la s2, pt_l0 + 8 * 5                            /* the PTE of VA_AD (identity-mapped) */
    EXPECT_TRAP(7f)
    li a1, VA_AD
    ld a0, 0(a1)
    DISARM_TRAP
    ld a0, 0(s2)                                    /* hardware updated the PTE: A, no D */
    andi a0, a0, PTE_A | PTE_D
    CHECK_REG(60, a0, PTE_A)
    j 8f
7:  CHECK_TS(61, TS_SCAUSE, 13)                     /* software-managed: fault, set A */
    CHECK_TS(62, TS_STVAL, VA_AD)
    ld a0, 0(s2)
    ori a0, a0, PTE_A
    sd a0, 0(s2)
    sfence.vma
8:  EXPECT_TRAP(9f)
    li a1, VA_AD
    li a2, 0xd1d1
    sd a2, 16(a1)
    DISARM_TRAP
    ld a0, 0(s2)
    andi a0, a0, PTE_A | PTE_D
    CHECK_REG(63, a0, PTE_A | PTE_D)
    j 10f
9:  CHECK_TS(64, TS_SCAUSE, 15)
    CHECK_TS(65, TS_STVAL, VA_AD + 16)
    ld a0, 0(s2)
    ori a0, a0, PTE_A | PTE_D
    sd a0, 0(s2)
    sfence.vma
    li a1, VA_AD
    li a2, 0xd1d1
    sd a2, 16(a1)                                   /* now it must go through */
10: la a1, pg_ad
    ld a0, 16(a1)
    CHECK_REG(66, a0, 0xd1d1)

    /* ---- sfence.vma makes a changed PTE take effect ---- */
    li a1, VA_SF
    ld a0, 0(a1)
    CHECK_REG(70, a0, MARK_RW)
    la a1, pg_alt
    PTE_OF(a2, a1, PTE_V | PTE_R | PTE_A)
    la a1, pt_l0
    sd a2, 8 * 6(a1)
    li a1, VA_SF
    sfence.vma a1, zero                             /* just this address */
    ld a0, 0(a1)
    CHECK_REG(71, a0, MARK_ALT)
    /* and invalidating it again, with a global sfence */
    la a1, pt_l0
    sd zero, 8 * 6(a1)
    sfence.vma
    TEST_LOAD_PF(72, VA_SF)

    /* ---- Sv48 ---- */
    BACK_TO_M(11)
    la a1, pt_root48
    srli a1, a1, 12
    li a2, SATP_SV48
    or a1, a1, a2
    csrw satp, a1
    sfence.vma
    csrr a0, satp
    CHECK_EQ(80, a0, a1)                            /* mode 9 accepted */
    ENTER_SMODE(s_sv48)
s_sv48:
    li a1, VA_RW                                    /* 4-level walk to the same page */
    ld a0, 0(a1)
    CHECK_REG(81, a0, MARK_RW)
    li a1, VA_HIGH                                  /* beyond Sv39: root48[1] */
    lwu a0, 0(a1)
    li a2, 0x80000000
    lwu a3, 0(a2)
    CHECK_EQ(82, a0, a3)
    TEST_LOAD_PF(83, VA_NONCANON48)                 /* bits 63..48 != bit 47 */
    TEST_STORE_PF(84, VA_RO)
    TEST_FETCH_PF(85, VA_INV)

    BACK_TO_M(12)
    csrw satp, zero
    sfence.vma
    csrw medeleg, zero
    j pass

    /* copied into the execute-only page: proves it ran there */
    .balign 8
xo_code:
    addi a0, zero, 0x77
    jalr zero, 0(ra)
    /* copied into the U page: a0 = 0x66, a2 = *a3 (U data), then *a1 (S data) faults */
    .balign 8
u_code:
    addi a0, zero, 0x66
    ld a2, 0(a3)
    ld a1, 0(a1)
    j .

    .bss
    .balign 4096
vm_area:
pt_root:   .zero 4096
pt_l1:     .zero 4096
pt_l0:     .zero 4096
pt_root48: .zero 4096
pt_l2hi:   .zero 4096
pg_rw:     .zero 4096
pg_ro:     .zero 4096
pg_xo:     .zero 4096
pg_u:      .zero 4096
pg_ad:     .zero 4096
pg_alt:    .zero 4096
pg_ux:     .zero 4096
vm_area_end:
TEST_END

/*
 * Address spaces and what the TLB may keep across them: two Sv39 tables with ASIDs 1 and 2
 * map the same VA to different pages, and S-mode switches satp between them without an
 * sfence.vma (allowed: each ASID keeps its own table); a global mapping present in both;
 * sfence.vma rs1=VA for all address spaces, rs2=ASID for another ASID while it is not
 * current, and rs1=VA with rs2=ASID; a megapage remapped and fenced with an address in it
 * other than the one read afterwards. Then LR/SC/AMO through translation, in S-mode and
 * in U-mode: results, sign extension, reservations across the translation's cold and warm
 * states, store/AMO page faults (cause 15, stval = the address) on read-only pages and on
 * pages of the other privilege, even when loads of the page hit the TLB, and D set by a
 * write of an LR/SC or AMO to a page whose loads had already hit.
 *
 * Only what the spec requires is checked: whether a stale translation may still be used
 * after a write to a PTE without a fence is implementation-defined, so no check depends
 * on it (the unit tests in test_mmu.c pin kite's own choices).
 *
 * Layout: the 1 GiB gigapage at 0x80000000 is identity-mapped (global) in both tables;
 * test pages are at 0x400a0000 (root[1] -> L1 -> L0), the megapage at 0x40400000 (L1[2]).
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
#define ASID_A 1
#define ASID_B 2

/*
 * Virtual addresses under test, [L0 index]. The indices, and the megapage offsets, keep
 * clear of the low page numbers of the code and data (0x80000000 on): a TLB indexed by
 * the page number keeps their entries then, and a missing flush shows as stale data.
 */
#define VA_X     0x400a0000     /* [0xa0] A: pg_a, B: pg_b (RW) */
#define VA_G     0x400a1000     /* [0xa1] both: pg_g, global */
#define VA_RO    0x400a2000     /* [0xa2] A: read-only */
#define VA_ND    0x400a3000     /* [0xa3] A: RW, A set, D clear */
#define VA_U     0x400a4000     /* [0xa4] A: U, RW */
#define VA_URO   0x400a5000     /* [0xa5] A: U, read-only */
#define VA_UCODE 0x400a6000     /* [0xa6] A: U, RX: u_page */
#define L0_X 0xa0
#define VA_MEGA  0x40400000     /* L1[2] of A: a 2 MiB megapage */
#define PHYS_M1  0x80400000     /* two 2 MiB-aligned RAM areas past the test image */
#define PHYS_M2  0x80600000
#define MEGA_OFF 0x1c3000       /* read after the fence ... */
#define MEGA_FENCE 0xd5000      /* ... which names this other address of the megapage */

#define MARK_A   0x123456789abcdef0
#define MARK_A2  0x0a0a0a0a0a0a0a0a
#define MARK_B   0x0b0b0b0b0b0b0b0b
#define MARK_G   0x6161616161616161
#define MARK_G2  0x6262626262626262
#define MARK_RO  0x5555666677778888
#define MARK_URO 0x7e7e7e7e7e7e7e7e
#define MARK_M1  0x4d31000000004d31
#define MARK_M2  0x4d32000000004d32

#define PTE_OF(reg, pa, flags) srli reg, pa, 12; slli reg, reg, 10; ori reg, reg, flags
/* table[index] = leaf/pointer to the page at symbol `sym` (t1, t2 scratch) */
#define SET_PTE(table, index, sym, flags) \
    la t1, sym; PTE_OF(t1, t1, flags); la t2, table; sd t1, 8*(index)(t2)
#define SET_PTE_RAW(table, index, value) \
    li t1, value; la t2, table; sd t1, 8*(index)(t2)
/* satp = Sv39, asid, root (t1, t2 scratch); no fence */
#define SATP(asid, root) \
    la t1, root; srli t1, t1, 12; li t2, SATP_SV39 | (asid << 44); or t1, t1, t2; csrw satp, t1
#define STORE_MARK(sym, value) la t1, sym; li t2, value; sd t2, 0(t1)
/* Check n: the 8 bytes at physical symbol `sym` (identity-mapped) hold `value`. */
#define CHECK_MEM(n, sym, value) la t1, sym; ld t1, 0(t1); CHECK_REG(n, t1, value)
/* The instruction must raise a store/AMO page fault at `va` (taken in S). */
#define EXPECT_STORE_PF(n, va) \
    CHECK_TS(n, TS_SCAUSE, 15); CHECK_TS(n + 1, TS_STVAL, va)

TEST_START
test_body:
    la a1, vm_area
    la a2, vm_area_end
1:  sd zero, 0(a1)
    addi a1, a1, 8
    bltu a1, a2, 1b

    /* table A */
    SET_PTE(pt_a_root, 1, pt_a_l1, PTE_V)
    SET_PTE_RAW(pt_a_root, 2, (0x80000 << 10) | PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D | PTE_G)
    SET_PTE(pt_a_l1, 0, pt_a_l0, PTE_V)
    SET_PTE_RAW(pt_a_l1, 2, (PHYS_M1 >> 2) | PTE_V | PTE_R | PTE_A)
    SET_PTE(pt_a_l0, L0_X + 0, pg_a, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
    SET_PTE(pt_a_l0, L0_X + 1, pg_g, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | PTE_G)
    SET_PTE(pt_a_l0, L0_X + 2, pg_ro, PTE_V | PTE_R | PTE_A)
    SET_PTE(pt_a_l0, L0_X + 3, pg_nd, PTE_V | PTE_R | PTE_W | PTE_A)
    SET_PTE(pt_a_l0, L0_X + 4, pg_u, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D)
    SET_PTE(pt_a_l0, L0_X + 5, pg_uro, PTE_V | PTE_R | PTE_U | PTE_A)
    SET_PTE(pt_a_l0, L0_X + 6, u_page, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A)
    /* table B: the same VA_X onto another page, the same global page */
    SET_PTE(pt_b_root, 1, pt_b_l1, PTE_V)
    SET_PTE_RAW(pt_b_root, 2, (0x80000 << 10) | PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D | PTE_G)
    SET_PTE(pt_b_l1, 0, pt_b_l0, PTE_V)
    SET_PTE(pt_b_l0, L0_X + 0, pg_b, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
    SET_PTE(pt_b_l0, L0_X + 1, pg_g, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | PTE_G)

    STORE_MARK(pg_a, MARK_A)
    STORE_MARK(pg_a2, MARK_A2)
    STORE_MARK(pg_b, MARK_B)
    STORE_MARK(pg_g, MARK_G)
    STORE_MARK(pg_g2, MARK_G2)
    STORE_MARK(pg_ro, MARK_RO)
    STORE_MARK(pg_nd, 100)
    STORE_MARK(pg_u, 7)
    STORE_MARK(pg_uro, MARK_URO)
    li t1, PHYS_M1 + MEGA_OFF
    li t2, MARK_M1
    sd t2, 0(t1)
    li t1, PHYS_M2 + MEGA_OFF
    li t2, MARK_M2
    sd t2, 0(t1)

    /* page faults go to S; address space A */
    li a1, (1 << 12) | (1 << 13) | (1 << 15)
    csrw medeleg, a1
    SATP(ASID_A, pt_a_root)
    sfence.vma
    csrr a0, satp
    CHECK_EQ(1, a0, t1)                             /* the ASID reads back */
    ENTER_SMODE(s_main)
s_main:
    /* ---- the same VA in two address spaces, switched without a fence ---- */
    li a1, VA_X
    ld a0, 0(a1)
    CHECK_REG(2, a0, MARK_A)
    SATP(ASID_B, pt_b_root)
    ld a0, 0(a1)
    CHECK_REG(3, a0, MARK_B)
    SATP(ASID_A, pt_a_root)
    ld a0, 0(a1)
    CHECK_REG(4, a0, MARK_A)
    SATP(ASID_B, pt_b_root)
    ld a0, 0(a1)
    CHECK_REG(5, a0, MARK_B)
    li a2, 0x2b2b
    sd a2, 8(a1)                                    /* stores land in the right page too */
    SATP(ASID_A, pt_a_root)
    li a2, 0x2a2a
    sd a2, 8(a1)
    la a3, pg_a
    ld a0, 8(a3)
    CHECK_REG(6, a0, 0x2a2a)
    la a3, pg_b
    ld a0, 8(a3)
    CHECK_REG(7, a0, 0x2b2b)

    /* ---- a global page, the same in both ---- */
    li a1, VA_G
    ld a0, 0(a1)
    CHECK_REG(8, a0, MARK_G)
    SATP(ASID_B, pt_b_root)
    ld a0, 0(a1)
    CHECK_REG(9, a0, MARK_G)
    /* remapped in both tables; sfence.vma VA (rs2 = x0) is for every address space */
    SET_PTE(pt_a_l0, L0_X + 1, pg_g2, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | PTE_G)
    SET_PTE(pt_b_l0, L0_X + 1, pg_g2, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | PTE_G)
    li a1, VA_G
    sfence.vma a1, zero
    ld a0, 0(a1)
    CHECK_REG(10, a0, MARK_G2)
    SATP(ASID_A, pt_a_root)
    ld a0, 0(a1)
    CHECK_REG(11, a0, MARK_G2)

    /* ---- sfence.vma x0, ASID for an ASID that is not current ---- */
    li a1, VA_X
    ld a0, 0(a1)                                    /* A's VA_X is in use ... */
    CHECK_REG(12, a0, MARK_A)
    SATP(ASID_B, pt_b_root)
    SET_PTE(pt_a_l0, L0_X + 0, pg_a2, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
    li t0, ASID_A
    sfence.vma zero, t0                             /* ... remapped and fenced from B */
    ld a0, 0(a1)
    CHECK_REG(13, a0, MARK_B)
    SATP(ASID_A, pt_a_root)
    ld a0, 0(a1)
    CHECK_REG(14, a0, MARK_A2)
    /* ---- sfence.vma VA, ASID, likewise ---- */
    SATP(ASID_B, pt_b_root)
    SET_PTE(pt_a_l0, L0_X + 0, pg_a, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
    li t0, ASID_A
    sfence.vma a1, t0
    ld a0, 0(a1)
    CHECK_REG(15, a0, MARK_B)
    SATP(ASID_A, pt_a_root)
    ld a0, 0(a1)
    CHECK_REG(16, a0, MARK_A)

    /* ---- a megapage remapped: a fence naming one address of it covers all of it ---- */
    li a1, VA_MEGA + MEGA_OFF
    li a2, VA_MEGA + MEGA_FENCE
    ld a0, 0(a1)
    CHECK_REG(20, a0, MARK_M1)
    ld a0, 0(a2)
    SET_PTE_RAW(pt_a_l1, 2, (PHYS_M2 >> 2) | PTE_V | PTE_R | PTE_A)
    sfence.vma a2, zero
    ld a0, 0(a1)
    CHECK_REG(21, a0, MARK_M2)
    SET_PTE_RAW(pt_a_l1, 2, (PHYS_M1 >> 2) | PTE_V | PTE_R | PTE_A)
    li t0, ASID_A
    sfence.vma a2, t0                               /* and with this ASID named */
    ld a0, 0(a1)
    CHECK_REG(22, a0, MARK_M1)

    /* ---- AMOs in S-mode: the first fills the TLB, the next ones hit ---- */
    sfence.vma
    li a1, VA_X
    li a2, 1
    amoadd.d a0, a2, (a1)
    CHECK_REG(30, a0, MARK_A)
    amoadd.d a0, a2, (a1)
    CHECK_REG(31, a0, MARK_A + 1)
    CHECK_MEM(32, pg_a, MARK_A + 2)
    amoswap.w a0, a2, (a1)                          /* old low word, sign-extended */
    CHECK_REG(33, a0, 0xffffffff9abcdef2)
    CHECK_MEM(34, pg_a, 0x1234567800000001)
    li a2, -8
    amomin.w a0, a2, (a1)                           /* -8 < 1 as signed words */
    CHECK_REG(35, a0, 1)
    CHECK_MEM(36, pg_a, 0x12345678fffffff8)
    /* LR with the TLB cold, SC warm; then both warm; a word pair; SC with no reservation */
    sfence.vma
    lr.d a0, (a1)
    CHECK_REG(37, a0, 0x12345678fffffff8)
    li a2, 0x55
    sc.d a3, a2, (a1)
    CHECK_REG(38, a3, 0)
    lr.w a0, (a1)
    CHECK_REG(39, a0, 0x55)
    li a2, 0x66
    sc.w a3, a2, (a1)
    CHECK_REG(40, a3, 0)
    CHECK_MEM(41, pg_a, 0x66)
    li a2, 0x77
    sc.d a3, a2, (a1)
    CHECK_NE(42, a3, zero)
    CHECK_MEM(43, pg_a, 0x66)

    /* ---- a read-only page in the TLB: loads and LR hit, AMO and SC still fault ---- */
    li a1, VA_RO
    ld a0, 0(a1)
    CHECK_REG(44, a0, MARK_RO)
    li TESTNUM, 45
    EXPECT_TRAP(1f)
    amoadd.d a0, a2, (a1)
    j fail
1:  EXPECT_STORE_PF(45, VA_RO)
    li a1, VA_RO + 0x10
    li TESTNUM, 47
    EXPECT_TRAP(1f)
    amoor.w a0, a2, (a1)
    j fail
1:  EXPECT_STORE_PF(47, VA_RO + 0x10)                /* the address, not the page */
    li a1, VA_RO
    lr.d a0, (a1)
    CHECK_REG(49, a0, MARK_RO)
    li TESTNUM, 50
    EXPECT_TRAP(1f)
    sc.d a3, a2, (a1)
    j fail
1:  EXPECT_STORE_PF(50, VA_RO)
    CHECK_MEM(52, pg_ro, MARK_RO)

    /* ---- D clear: loads and LR hit, the SC must set D (or fault for software) ---- */
    la s2, pt_a_l0 + 8 * (L0_X + 3)
    li a1, VA_ND
    ld a0, 0(a1)
    CHECK_REG(53, a0, 100)
    lr.d a0, (a1)
    CHECK_REG(54, a0, 100)
    li a2, 200
    EXPECT_TRAP(2f)
    sc.d a3, a2, (a1)
    DISARM_TRAP
    CHECK_REG(55, a3, 0)
    ld a0, 0(s2)
    andi a0, a0, PTE_D
    CHECK_REG(56, a0, PTE_D)
    CHECK_MEM(57, pg_nd, 200)
    /* again with an AMO: D cleared by software, fenced, loads hit first */
    li a0, PTE_D
    ld a3, 0(s2)
    xor a3, a3, a0
    sd a3, 0(s2)
    sfence.vma a1, zero
    ld a0, 0(a1)
    CHECK_REG(58, a0, 200)
    li a2, 3
    EXPECT_TRAP(2f)
    amoadd.w a0, a2, (a1)
    DISARM_TRAP
    CHECK_REG(59, a0, 200)
    ld a0, 0(s2)
    andi a0, a0, PTE_D
    CHECK_REG(60, a0, PTE_D)
    CHECK_MEM(61, pg_nd, 203)
    j 3f
2:  EXPECT_STORE_PF(62, VA_ND)                      /* software-managed D: fine too */
3:

    /* ---- U-mode: LR/SC and AMOs on its own pages; faults on read-only and S pages ---- */
    li a1, VA_U
    li a2, 5
    li a6, VA_URO
    li a7, VA_X
    li a0, 0
    li a3, 0
    li a4, -1
    li a5, 0
    li t0, MSTATUS_SPP
    csrc sstatus, t0
    li t0, VA_UCODE
    csrw sepc, t0
    EXPECT_TRAP(1f)
    sret
1:  EXPECT_STORE_PF(70, VA_URO)
    CHECK_TS(72, TS_SEPC, VA_UCODE + 16)
    CHECK_REG(73, a0, 7)
    CHECK_REG(74, a3, 12)
    CHECK_REG(75, a4, 0)
    CHECK_REG(76, a5, 5)
    CHECK_MEM(77, pg_u, 10)
    CHECK_MEM(78, pg_uro, MARK_URO)

    li a3, 0
    li t0, MSTATUS_SPP
    csrc sstatus, t0
    li t0, VA_UCODE + 0x40
    csrw sepc, t0
    EXPECT_TRAP(1f)
    sret
1:  EXPECT_STORE_PF(80, VA_URO)
    CHECK_TS(82, TS_SEPC, VA_UCODE + 0x48)
    CHECK_REG(83, a3, MARK_URO)
    CHECK_MEM(84, pg_uro, MARK_URO)

    li t0, MSTATUS_SPP
    csrc sstatus, t0
    li t0, VA_UCODE + 0x80
    csrw sepc, t0
    EXPECT_TRAP(1f)
    sret
1:
#ifdef STRICT_SPEC
    EXPECT_STORE_PF(85, VA_X)                       /* an S page from U */
#else
    la gp, trap_state                               /* QEMU 7.2 says load page fault */
    ld tp, TS_SCAUSE(gp)
    ori tp, tp, 2
    CHECK_REG(85, tp, 15)
    CHECK_TS(86, TS_STVAL, VA_X)
#endif
    CHECK_TS(87, TS_SEPC, VA_UCODE + 0x80)
    CHECK_MEM(88, pg_a, 0x66)

    BACK_TO_M(11)
    csrw satp, zero
    sfence.vma
    csrw medeleg, zero
    j pass

    /* U-mode code, mapped at VA_UCODE; each entry ends in the fault the test expects */
    .balign 4096
u_page:
    amoadd.d a0, a2, (a1)                           /* a0 = 7, memory 12 */
    lr.d a3, (a1)                                   /* a3 = 12 */
    sc.d a4, a2, (a1)                               /* a4 = 0, memory 5 */
    amoadd.d a5, a2, (a1)                           /* a5 = 5, memory 10 */
    amoor.d t3, a2, (a6)                            /* read-only: store/AMO page fault */
    ecall
    .balign 64
    ld a3, 0(a6)                                    /* +0x40: loads and LR are allowed */
    lr.d a3, (a6)
    sc.d a4, a2, (a6)                               /* +0x48: the store is not */
    ecall
    .balign 64
    amoswap.d a0, a2, (a7)                          /* +0x80: no U bit */
    ecall
    .balign 4096

    .bss
    .balign 4096
vm_area:
pt_a_root: .zero 4096
pt_a_l1:   .zero 4096
pt_a_l0:   .zero 4096
pt_b_root: .zero 4096
pt_b_l1:   .zero 4096
pt_b_l0:   .zero 4096
pg_a:      .zero 4096
pg_a2:     .zero 4096
pg_b:      .zero 4096
pg_g:      .zero 4096
pg_g2:     .zero 4096
pg_ro:     .zero 4096
pg_nd:     .zero 4096
pg_u:      .zero 4096
pg_uro:    .zero 4096
vm_area_end:
TEST_END

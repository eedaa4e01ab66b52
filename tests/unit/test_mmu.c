/* Sv39/Sv48 translation: walks, A/D, superpages, faults, SUM/MXR/MPRV, sfence.vma, ASIDs. */
#include "test_cpu_harness.h"

#include "riscv/cpu_internal.h"

#define PTE_V (1ULL << 0)
#define PTE_R (1ULL << 1)
#define PTE_W (1ULL << 2)
#define PTE_X (1ULL << 3)
#define PTE_U (1ULL << 4)
#define PTE_G (1ULL << 5)
#define PTE_A (1ULL << 6)
#define PTE_D (1ULL << 7)

#define PT_POOL (RAM_BASE + 0x100000)
#define DATA_PG (RAM_BASE + 0x200000)
#define DATA_PG2 (RAM_BASE + 0x201000)

struct pt {
    struct harness *h;
    uint64_t next;
    uint64_t root;
    int levels;
};

static uint64_t pt_alloc(struct pt *t)
{
    uint64_t a = t->next;
    t->next += 4096;
    memset(gpa(t->h, a), 0, 4096);
    return a;
}

static struct pt pt_new(struct harness *h, int levels)
{
    struct pt t = {h, PT_POOL, 0, levels};
    t.root = pt_alloc(&t);
    return t;
}

/* Address of the PTE for va at `level`, creating intermediate tables. */
static uint64_t pt_slot(struct pt *t, uint64_t va, int level)
{
    uint64_t table = t->root;
    for (int i = t->levels - 1; i > level; i--) {
        uint64_t slot = table + ((va >> (12 + 9 * i)) & 0x1ff) * 8;
        uint64_t pte = get64(t->h, slot);
        if (!(pte & PTE_V)) {
            uint64_t next = pt_alloc(t);
            pte = ((next >> 12) << 10) | PTE_V;
            put64(t->h, slot, pte);
        }
        table = (pte >> 10) << 12;
    }
    return table + ((va >> (12 + 9 * level)) & 0x1ff) * 8;
}

static void pt_map(struct pt *t, uint64_t va, uint64_t pa, uint64_t flags, int level)
{
    put64(t->h, pt_slot(t, va, level), ((pa >> 12) << 10) | flags | PTE_V);
}

static int setup(void **state)
{
    *state = harness_new();
    return 0;
}

static int teardown(void **state)
{
    harness_free(*state);
    return 0;
}

/* Page tables with RAM identity-mapped by a gigapage (supervisor only), satp set, then S. */
static struct prog begin_paged(struct harness *h, struct pt *t, int mode)
{
    struct prog p = prog_begin(h);
    pt_map(t, RAM_BASE, RAM_BASE, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D | PTE_G, 2);
    li(&p, 1, ((uint64_t)mode << 60) | (t->root >> 12));
    op(&p, CSRW(C_SATP, 1));
    enter_mode(&p, RV_PRIV_S);
    return p;
}

static void test_sv39_ad_bits(void **state)
{
    struct harness *h = *state;
    struct pt t = pt_new(h, 3);
    pt_map(&t, 0x10000, DATA_PG, PTE_R | PTE_W, 0);
    put64(h, DATA_PG, 0xabc);
    struct prog p = begin_paged(h, &t, 8);
    li(&p, 1, 0x10000);
    op(&p, LD(2, 1, 0));
    op(&p, WFI);
    op(&p, LI(3, 77));
    op(&p, SD(3, 1, 8));
    op(&p, WFI);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(rv_cpu_get_priv(h->cpu), RV_PRIV_S);
    assert_int_equal(X(h, 2), 0xabc);
    uint64_t pte = get64(h, pt_slot(&t, 0x10000, 0));
    assert_true(pte & PTE_A);
    assert_false(pte & PTE_D);
    assert_int_equal(run(h), RV_RUN_WFI);
    pte = get64(h, pt_slot(&t, 0x10000, 0));
    assert_true(pte & PTE_D);
    assert_int_equal(get64(h, DATA_PG + 8), 77);
    assert_int_equal(X(h, 27), 0);
}

static void expect_fault(struct harness *h, uint64_t cause, uint64_t tval)
{
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 27), 3);
    assert_int_equal(X(h, 28), cause);
    assert_int_equal(X(h, 30), tval);
}

static void test_page_fault_unmapped(void **state)
{
    struct harness *h = *state;
    struct pt t = pt_new(h, 3);
    struct prog p = begin_paged(h, &t, 8);
    li(&p, 1, 0x20000);
    op(&p, LD(2, 1, 8));
    expect_fault(h, RV_EXC_LOAD_PAGE, 0x20008);
}

static void test_page_fault_store_readonly(void **state)
{
    struct harness *h = *state;
    struct pt t = pt_new(h, 3);
    pt_map(&t, 0x30000, DATA_PG, PTE_R | PTE_A, 0);
    struct prog p = begin_paged(h, &t, 8);
    li(&p, 1, 0x30000);
    op(&p, LD(2, 1, 0)); /* fine */
    op(&p, SD(2, 1, 8));
    expect_fault(h, RV_EXC_STORE_PAGE, 0x30008);
    assert_false(get64(h, pt_slot(&t, 0x30000, 0)) & PTE_D);
}

static void test_page_fault_exec(void **state)
{
    struct harness *h = *state;
    struct pt t = pt_new(h, 3);
    pt_map(&t, 0x10000, DATA_PG, PTE_R | PTE_W | PTE_A | PTE_D, 0);
    struct prog p = begin_paged(h, &t, 8);
    li(&p, 1, 0x10000);
    op(&p, JALR(0, 1, 0));
    expect_fault(h, RV_EXC_INSN_PAGE, 0x10000);
    assert_int_equal(X(h, 29), 0x10000);
}

static void test_page_fault_delegated(void **state)
{
    struct harness *h = *state;
    struct pt t = pt_new(h, 3);
    struct prog p = prog_begin(h);
    pt_map(&t, RAM_BASE, RAM_BASE, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D, 2);
    li(&p, 1, 1ULL << RV_EXC_LOAD_PAGE);
    op(&p, CSRW(C_MEDELEG, 1));
    li(&p, 1, (8ULL << 60) | (t.root >> 12));
    op(&p, CSRW(C_SATP, 1));
    enter_mode(&p, RV_PRIV_S);
    li(&p, 1, 0x123456000ULL);
    uint64_t at = p.pc;
    op(&p, LW(2, 1, 4));
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 27), 1);
    assert_int_equal(X(h, 28), RV_EXC_LOAD_PAGE);
    assert_int_equal(X(h, 29), at);
    assert_int_equal(X(h, 30), 0x123456004ULL);
}

static void test_superpages(void **state)
{
    struct harness *h = *state;
    struct pt t = pt_new(h, 3);
    pt_map(&t, 0x40000000, RAM_BASE + 0x200000, PTE_R | PTE_W | PTE_A | PTE_D, 1);
    pt_map(&t, 0x40200000, RAM_BASE + 0x201000, PTE_R | PTE_W | PTE_A | PTE_D, 1); /* misaligned */
    put64(h, RAM_BASE + 0x201008, 0x5151);
    struct prog p = begin_paged(h, &t, 8);
    li(&p, 1, 0x40001008);
    op(&p, LD(2, 1, 0));
    li(&p, 3, 0x40200000);
    op(&p, LD(4, 3, 0));
    expect_fault(h, RV_EXC_LOAD_PAGE, 0x40200000);
    assert_int_equal(X(h, 2), 0x5151);
}

static void test_sum_mxr(void **state)
{
    struct harness *h = *state;
    struct pt t = pt_new(h, 3);
    pt_map(&t, 0x50000, DATA_PG, PTE_U | PTE_R | PTE_W | PTE_A | PTE_D, 0);
    pt_map(&t, 0x60000, DATA_PG2, PTE_X | PTE_A, 0);
    put64(h, DATA_PG, 0x50);
    put64(h, DATA_PG2, 0x60);
    struct prog p = begin_paged(h, &t, 8);
    li(&p, 1, MSTATUS_SUM | MSTATUS_MXR);
    op(&p, CSRRS(0, C_SSTATUS, 1));
    li(&p, 2, 0x50000);
    op(&p, LD(5, 2, 0));
    li(&p, 3, 0x60000);
    op(&p, LD(6, 3, 0));
    li(&p, 1, MSTATUS_SUM);
    op(&p, CSRRC(0, C_SSTATUS, 1));
    op(&p, LD(7, 2, 0)); /* U page without SUM */
    expect_fault(h, RV_EXC_LOAD_PAGE, 0x50000);
    assert_int_equal(X(h, 5), 0x50);
    assert_int_equal(X(h, 6), 0x60);
    assert_int_equal(X(h, 7), 0);
}

static void test_mxr_off(void **state)
{
    struct harness *h = *state;
    struct pt t = pt_new(h, 3);
    pt_map(&t, 0x60000, DATA_PG2, PTE_X | PTE_A, 0);
    struct prog p = begin_paged(h, &t, 8);
    li(&p, 3, 0x60000);
    op(&p, LD(6, 3, 0));
    expect_fault(h, RV_EXC_LOAD_PAGE, 0x60000);
}

static void test_mprv(void **state)
{
    struct harness *h = *state;
    struct pt t = pt_new(h, 3);
    pt_map(&t, 0x10000, DATA_PG, PTE_R | PTE_W | PTE_A | PTE_D, 0);
    put64(h, DATA_PG, 0x1111);
    struct prog p = prog_begin(h);
    li(&p, 1, (8ULL << 60) | (t.root >> 12));
    op(&p, CSRW(C_SATP, 1));
    li(&p, 1, MSTATUS_MPRV | (1ULL << MSTATUS_MPP_SHIFT));
    op(&p, CSRRS(0, C_MSTATUS, 1)); /* M fetches stay physical, data uses S + satp */
    li(&p, 2, 0x10000);
    op(&p, LD(3, 2, 0));
    op(&p, CSRRC(0, C_MSTATUS, 1));
    li(&p, 4, DATA_PG);
    op(&p, LD(5, 4, 0)); /* physical again */
    op(&p, WFI);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 27), 0);
    assert_int_equal(X(h, 3), 0x1111);
    assert_int_equal(X(h, 5), 0x1111);
    assert_int_equal(rv_cpu_get_priv(h->cpu), RV_PRIV_M);
}

static void test_sv48(void **state)
{
    struct harness *h = *state;
    struct pt t = pt_new(h, 4);
    uint64_t va = 0x100000000000ULL; /* bit 44: needs four levels */
    pt_map(&t, va, DATA_PG, PTE_R | PTE_W, 0);
    put64(h, DATA_PG + 16, 0x4848);
    struct prog p = begin_paged(h, &t, 9);
    li(&p, 1, va);
    op(&p, LD(2, 1, 16));
    op(&p, CSRR(3, C_SATP));
    li(&p, 4, 0x800000000000ULL); /* not sign-extended from bit 47 */
    op(&p, LD(5, 4, 0));
    expect_fault(h, RV_EXC_LOAD_PAGE, 0x800000000000ULL);
    assert_int_equal(X(h, 2), 0x4848);
    assert_int_equal(X(h, 3) >> 60, 9);
    assert_true(get64(h, pt_slot(&t, va, 0)) & PTE_A);
}

static void test_sv39_noncanonical(void **state)
{
    struct harness *h = *state;
    struct pt t = pt_new(h, 3);
    struct prog p = begin_paged(h, &t, 8);
    li(&p, 1, 0x4000000000ULL); /* bit 38 set, bits 63:39 clear */
    op(&p, LD(2, 1, 0));
    expect_fault(h, RV_EXC_LOAD_PAGE, 0x4000000000ULL);
}

static void test_reserved_pte_bits(void **state)
{
    struct harness *h = *state;
    struct pt t = pt_new(h, 3);
    pt_map(&t, 0x10000, DATA_PG, PTE_R | PTE_W | PTE_A | PTE_D | (1ULL << 60), 0);
    struct prog p = begin_paged(h, &t, 8);
    li(&p, 1, 0x10000);
    op(&p, LD(2, 1, 0));
    expect_fault(h, RV_EXC_LOAD_PAGE, 0x10000);
}

static void test_w_without_r(void **state)
{
    struct harness *h = *state;
    struct pt t = pt_new(h, 3);
    pt_map(&t, 0x10000, DATA_PG, PTE_W | PTE_A | PTE_D, 0);
    struct prog p = begin_paged(h, &t, 8);
    li(&p, 1, 0x10000);
    op(&p, SD(2, 1, 0));
    expect_fault(h, RV_EXC_STORE_PAGE, 0x10000);
}

static void test_walk_outside_ram(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    li(&p, 1, (8ULL << 60) | (0x20000000ULL >> 12));
    op(&p, CSRW(C_SATP, 1));
    li(&p, 1, MSTATUS_MPRV | (1ULL << MSTATUS_MPP_SHIFT));
    op(&p, CSRRS(0, C_MSTATUS, 1));
    li(&p, 2, 0x10000);
    op(&p, SD(3, 2, 0));
    expect_fault(h, RV_EXC_STORE_ACCESS, 0x10000);
}

static void test_sfence(void **state)
{
    struct harness *h = *state;
    struct pt t = pt_new(h, 3);
    pt_map(&t, 0x10000, DATA_PG, PTE_R | PTE_W | PTE_A | PTE_D, 0);
    pt_map(&t, 0x40000000, RAM_BASE + 0x200000, PTE_R | PTE_A, 1);
    put64(h, DATA_PG, 1);
    put64(h, DATA_PG2, 2);
    put64(h, RAM_BASE + 0x203000, 3);
    put64(h, RAM_BASE + 0x3000, 4);
    struct prog p = begin_paged(h, &t, 8);
    li(&p, 1, 0x10000);
    li(&p, 4, 0x40003000);
    li(&p, 6, 0x40000000);
    op(&p, LD(2, 1, 0));
    op(&p, LD(5, 4, 0));
    op(&p, WFI);
    op(&p, SFENCE_VMA(1, 0));
    op(&p, LD(3, 1, 0));
    op(&p, SFENCE_VMA(6, 0)); /* another page of the same superpage */
    op(&p, LD(7, 4, 0));
    op(&p, WFI);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 2), 1);
    assert_int_equal(X(h, 5), 3);
    /* Remap both behind the hart's back; sfence.vma makes it see the change. */
    pt_map(&t, 0x10000, DATA_PG2, PTE_R | PTE_W | PTE_A | PTE_D, 0);
    pt_map(&t, 0x40000000, RAM_BASE, PTE_R | PTE_A, 1);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 3), 2);
    assert_int_equal(X(h, 7), 4);
}

/*
 * One physical code page mapped at two virtual addresses runs with each address's pc, and
 * a remap (with sfence.vma) to another physical page runs the new page's code.
 */
static void test_code_remapped(void **state)
{
    struct harness *h = *state;
    struct pt t = pt_new(h, 3);
    uint64_t code1 = DATA_PG, code2 = DATA_PG2;
    struct prog c = {h, code1};
    op(&c, AUIPC(5, 0));
    op(&c, ADDI(6, 6, 1));
    op(&c, JALR(0, 1, 0));
    c = (struct prog){h, code2};
    op(&c, LI(5, 7));
    op(&c, JALR(0, 1, 0));
    pt_map(&t, 0x10000, code1, PTE_R | PTE_X | PTE_A, 0);
    pt_map(&t, 0x21000, code1, PTE_R | PTE_X | PTE_A, 0);
    struct prog p = begin_paged(h, &t, 8);
    li(&p, 10, 0x10000);
    li(&p, 11, 0x21000);
    op(&p, JALR(1, 10, 0));
    op(&p, ADD(12, 5, 0));
    op(&p, JALR(1, 11, 0));
    op(&p, ADD(13, 5, 0));
    op(&p, WFI);
    op(&p, SFENCE_VMA(0, 0));
    op(&p, JALR(1, 10, 0));
    op(&p, ADD(14, 5, 0));
    op(&p, WFI);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 12), 0x10000);
    assert_int_equal(X(h, 13), 0x21000);
    assert_int_equal(X(h, 6), 2);
    pt_map(&t, 0x10000, code2, PTE_R | PTE_X | PTE_A, 0);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 14), 7);
    assert_int_equal(X(h, 27), 0);
}

static void test_user_mode(void **state)
{
    struct harness *h = *state;
    struct pt t = pt_new(h, 3);
    uint64_t ucode = RAM_BASE + 0x5000;
    pt_map(&t, 0x70000, ucode, PTE_U | PTE_R | PTE_X | PTE_A, 0);
    pt_map(&t, 0x71000, DATA_PG, PTE_U | PTE_R | PTE_W | PTE_A | PTE_D, 0);
    pt_map(&t, 0x10000, DATA_PG2, PTE_R | PTE_W | PTE_A | PTE_D, 0);
    put64(h, DATA_PG, 0x71);
    struct prog u = {h, ucode};
    op(&u, LUI(1, 0x71));
    op(&u, LD(2, 1, 0));   /* U page: fine */
    op(&u, LUI(3, 0x10));
    op(&u, LD(4, 3, 0));   /* supervisor page from U: fault */
    struct prog p = begin_paged(h, &t, 8);
    li(&p, 1, 0x70000);
    op(&p, CSRW(C_SEPC, 1));
    op(&p, SRET); /* SPP = U */
    expect_fault(h, RV_EXC_LOAD_PAGE, 0x10000);
    assert_int_equal(X(h, 2), 0x71);
    assert_int_equal(X(h, 29), 0x7000c);
    assert_int_equal((h->cpu->mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT, RV_PRIV_U);
}

/*
 * Code S-mode ran (and the JIT may have cached by address) is not reachable from U-mode
 * at the same address: the jump there is an instruction page fault. (The user page's
 * address differs in bit 12 from the target's, so the jump cache holds both.)
 */
static void test_user_cannot_jump_to_supervisor_code(void **state)
{
    struct harness *h = *state;
    struct pt t = pt_new(h, 3);
    uint64_t ucode = RAM_BASE + 0x5000;
    pt_map(&t, 0x71000, ucode, PTE_U | PTE_R | PTE_X | PTE_A, 0);
    pt_map(&t, 0x10000, DATA_PG, PTE_R | PTE_X | PTE_A, 0);
    struct prog k = {h, DATA_PG};
    op(&k, ADDI(6, 6, 1));
    op(&k, JALR(0, 1, 0));
    struct prog u = {h, ucode};
    op(&u, LUI(10, 0x10));
    op(&u, JALR(1, 10, 0)); /* to the supervisor code: fault */
    struct prog p = begin_paged(h, &t, 8);
    li(&p, 10, 0x10000);
    for (int i = 0; i < 3; i++)
        op(&p, JALR(1, 10, 0));
    li(&p, 1, 0x71000);
    op(&p, CSRW(C_SEPC, 1));
    op(&p, SRET); /* SPP = U */
    expect_fault(h, RV_EXC_INSN_PAGE, 0x10000);
    assert_int_equal(X(h, 6), 3);
    assert_int_equal(X(h, 29), 0x10000);
}

static void test_s_cannot_exec_user_page(void **state)
{
    struct harness *h = *state;
    struct pt t = pt_new(h, 3);
    pt_map(&t, 0x70000, RAM_BASE + 0x5000, PTE_U | PTE_R | PTE_X | PTE_A, 0);
    struct prog p = begin_paged(h, &t, 8);
    li(&p, 1, MSTATUS_SUM);
    op(&p, CSRRS(0, C_SSTATUS, 1));
    li(&p, 1, 0x70000);
    op(&p, JALR(0, 1, 0));
    expect_fault(h, RV_EXC_INSN_PAGE, 0x70000);
}

static void test_fetch_straddle_fault(void **state)
{
    struct harness *h = *state;
    struct pt t = pt_new(h, 3);
    uint64_t code = RAM_BASE + 0x6000;
    pt_map(&t, 0x80000, code, PTE_R | PTE_X | PTE_A, 0);
    put16(h, code + 0xffe, 0x0013); /* lower half of a 32-bit addi */
    struct prog p = begin_paged(h, &t, 8);
    li(&p, 1, 0x80ffe);
    op(&p, JALR(0, 1, 0));
    expect_fault(h, RV_EXC_INSN_PAGE, 0x81000);
    assert_int_equal(X(h, 29), 0x80ffe);
}

static void test_misaligned_cross_fault(void **state)
{
    struct harness *h = *state;
    struct pt t = pt_new(h, 3);
    pt_map(&t, 0x10000, DATA_PG, PTE_R | PTE_W | PTE_A | PTE_D, 0);
    pt_map(&t, 0x11000, DATA_PG2, PTE_R | PTE_W | PTE_A | PTE_D, 0);
    pt_map(&t, 0x21000, DATA_PG2, PTE_R | PTE_A | PTE_D, 0);
    put64(h, DATA_PG + 0xff8, 0x8877665544332211ULL);
    put64(h, DATA_PG2, 0x00000000000000ffULL);
    struct prog p = begin_paged(h, &t, 8);
    li(&p, 1, 0x10ffc);
    op(&p, LD(2, 1, 0));        /* across two mapped pages */
    li(&p, 3, 0x20ffc);
    op(&p, SD(2, 3, 0));        /* first page unmapped */
    expect_fault(h, RV_EXC_STORE_PAGE, 0x20ffc);
    assert_int_equal(X(h, 2), 0x000000ff88776655ULL);
}

static void test_misaligned_store_second_page_fault(void **state)
{
    struct harness *h = *state;
    struct pt t = pt_new(h, 3);
    pt_map(&t, 0x10000, DATA_PG, PTE_R | PTE_W | PTE_A | PTE_D, 0);
    struct prog p = begin_paged(h, &t, 8);
    li(&p, 1, 0x10ffc);
    op(&p, LI(2, -1));
    op(&p, SD(2, 1, 0));
    expect_fault(h, RV_EXC_STORE_PAGE, 0x10fff + 4);
    /* Nothing was written to the first page. */
    assert_int_equal(get64(h, DATA_PG + 0xff8), 0);
}

static void test_unsupported_satp_mode(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    li(&p, 1, (8ULL << 60) | 0x1234);
    op(&p, CSRW(C_SATP, 1));
    li(&p, 2, (10ULL << 60) | 0x5678);
    op(&p, CSRW(C_SATP, 2));
    op(&p, CSRR(3, C_SATP));
    op(&p, WFI);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 3), (8ULL << 60) | 0x1234);
}

static void test_tvm(void **state)
{
    struct harness *h = *state;
    struct pt t = pt_new(h, 3);
    struct prog p = prog_begin(h);
    pt_map(&t, RAM_BASE, RAM_BASE, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D, 2);
    li(&p, 1, (8ULL << 60) | (t.root >> 12));
    op(&p, CSRW(C_SATP, 1));
    li(&p, 1, MSTATUS_TVM);
    op(&p, CSRRS(0, C_MSTATUS, 1));
    enter_mode(&p, RV_PRIV_S);
    op(&p, SFENCE_VMA(0, 0));
    expect_fault(h, RV_EXC_ILLEGAL, SFENCE_VMA(0, 0));
}

/* ---- ASIDs: kite's own choices about what stays cached (the spec allows either) ---- */

#define DATA_PG3 (RAM_BASE + 0x202000)
#define DATA_PG4 (RAM_BASE + 0x203000)

/* A second table from the same pool, after the first one's pages. */
static struct pt pt_next(struct pt *first)
{
    struct pt t = {first->h, first->next, 0, first->levels};
    t.root = pt_alloc(&t);
    first->next = t.next + 16 * 4096; /* room for t's own tables */
    t.next = t.root + 4096;
    return t;
}

static uint64_t satp_of(const struct pt *t, uint64_t asid)
{
    return (8ULL << 60) | (asid << 44) | (t->root >> 12);
}

/* Tables A and B with RAM identity-mapped (global) for code; S-mode under A, ASID 1. */
static struct prog begin_two(struct harness *h, struct pt *a, struct pt *b)
{
    *a = pt_new(h, 3);
    *b = pt_next(a);
    pt_map(b, RAM_BASE, RAM_BASE, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D | PTE_G, 2);
    struct prog p = prog_begin(h);
    pt_map(a, RAM_BASE, RAM_BASE, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D | PTE_G, 2);
    li(&p, 20, satp_of(a, 1));
    li(&p, 21, satp_of(b, 2));
    op(&p, CSRW(C_SATP, 20));
    enter_mode(&p, RV_PRIV_S);
    return p;
}

#define RW_AD (PTE_R | PTE_W | PTE_A | PTE_D)

/*
 * Each ASID keeps its entries across switches, and sfence.vma rs2=ASID drops only that
 * ASID's (non-global) entries, wherever the hart is.
 */
static void test_asid_entries_kept(void **state)
{
    struct harness *h = *state;
    struct pt a, b;
    struct prog p = begin_two(h, &a, &b);
    pt_map(&a, 0x10000, DATA_PG, RW_AD, 0);
    pt_map(&b, 0x10000, DATA_PG2, RW_AD, 0);
    put64(h, DATA_PG, 1);
    put64(h, DATA_PG2, 2);
    put64(h, DATA_PG3, 3);
    put64(h, DATA_PG4, 4);
    li(&p, 1, 0x10000);
    op(&p, LD(2, 1, 0));
    op(&p, CSRW(C_SATP, 21));
    op(&p, LD(3, 1, 0));
    op(&p, WFI);
    op(&p, CSRW(C_SATP, 20));
    op(&p, LD(4, 1, 0));          /* A's entry is still there */
    op(&p, CSRW(C_SATP, 21));
    op(&p, LD(5, 1, 0));          /* and B's */
    op(&p, LI(9, 1));
    op(&p, SFENCE_VMA(0, 9));     /* from B: drop ASID 1's */
    op(&p, LD(6, 1, 0));          /* B's stays */
    op(&p, CSRW(C_SATP, 20));
    op(&p, LD(7, 1, 0));          /* A walks again */
    op(&p, WFI);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 2), 1);
    assert_int_equal(X(h, 3), 2);
    /* Remapped behind the hart's back, no fence. */
    pt_map(&a, 0x10000, DATA_PG3, RW_AD, 0);
    pt_map(&b, 0x10000, DATA_PG4, RW_AD, 0);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 27), 0);
    assert_int_equal(X(h, 4), 1);
    assert_int_equal(X(h, 5), 2);
    assert_int_equal(X(h, 6), 2);
    assert_int_equal(X(h, 7), 3);
}

/*
 * A global entry goes with the hart into an ASID it had not used, and survives
 * sfence.vma rs2=ASID there; sfence.vma with its address drops it.
 */
static void test_global_survives_switch(void **state)
{
    struct harness *h = *state;
    struct pt a, b;
    struct prog p = begin_two(h, &a, &b);
    pt_map(&a, 0x20000, DATA_PG, RW_AD | PTE_G, 0);
    pt_map(&b, 0x20000, DATA_PG, RW_AD | PTE_G, 0);
    put64(h, DATA_PG, 1);
    put64(h, DATA_PG2, 2);
    li(&p, 1, 0x20000);
    op(&p, LD(2, 1, 0));
    op(&p, WFI);
    op(&p, CSRW(C_SATP, 21));
    op(&p, LD(3, 1, 0));
    op(&p, LI(9, 2));
    op(&p, SFENCE_VMA(0, 9));
    op(&p, LD(4, 1, 0));
    op(&p, SFENCE_VMA(1, 0));
    op(&p, LD(5, 1, 0));
    op(&p, WFI);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 2), 1);
    pt_map(&a, 0x20000, DATA_PG2, RW_AD | PTE_G, 0);
    pt_map(&b, 0x20000, DATA_PG2, RW_AD | PTE_G, 0);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 27), 0);
    assert_int_equal(X(h, 3), 1);
    assert_int_equal(X(h, 4), 1);
    assert_int_equal(X(h, 5), 2);
}

/*
 * What must start over without a fence: the same ASID over another root table, and a
 * MODE change (here Sv39 -> Bare -> Sv39 with the same ASID and root).
 */
static void test_asid_reuse_and_mode_change(void **state)
{
    struct harness *h = *state;
    struct pt a, b;
    struct prog p = begin_two(h, &a, &b);
    pt_map(&a, 0x10000, DATA_PG, RW_AD, 0);
    pt_map(&b, 0x10000, DATA_PG2, RW_AD, 0);
    put64(h, DATA_PG, 1);
    put64(h, DATA_PG2, 2);
    put64(h, DATA_PG3, 3);
    li(&p, 1, 0x10000);
    op(&p, LD(2, 1, 0));
    li(&p, 22, satp_of(&b, 1));
    op(&p, CSRW(C_SATP, 22));     /* ASID 1 over B */
    op(&p, LD(3, 1, 0));
    op(&p, CSRW(C_SATP, 20));
    op(&p, LD(4, 1, 0));
    op(&p, CSRW(C_SATP, 0));
    op(&p, WFI);
    op(&p, CSRW(C_SATP, 20));
    op(&p, LD(5, 1, 0));
    op(&p, WFI);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 2), 1);
    assert_int_equal(X(h, 3), 2);
    assert_int_equal(X(h, 4), 1);
    pt_map(&a, 0x10000, DATA_PG3, RW_AD, 0);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 27), 0);
    assert_int_equal(X(h, 5), 3);
}

/* sfence.vma inside a megapage drops its pieces and nothing else. */
static void test_sfence_superpage_precise(void **state)
{
    struct harness *h = *state;
    struct pt t = pt_new(h, 3);
    pt_map(&t, 0x10000, DATA_PG, RW_AD, 0);
    pt_map(&t, 0x40000000, RAM_BASE + 0x200000, PTE_R | PTE_A, 1);
    put64(h, DATA_PG, 1);
    put64(h, DATA_PG3, 9);
    put64(h, RAM_BASE + 0x207000, 5);
    put64(h, RAM_BASE + 0x7000, 6);
    struct prog p = begin_paged(h, &t, 8);
    li(&p, 1, 0x10000);
    li(&p, 4, 0x40007000);
    li(&p, 6, 0x40170000);        /* another piece of the megapage, another TLB index */
    op(&p, LD(2, 1, 0));
    op(&p, LD(5, 4, 0));
    op(&p, WFI);
    op(&p, SFENCE_VMA(6, 0));
    op(&p, LD(3, 1, 0));
    op(&p, LD(7, 4, 0));
    op(&p, WFI);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 2), 1);
    assert_int_equal(X(h, 5), 5);
    pt_map(&t, 0x10000, DATA_PG3, RW_AD, 0);
    pt_map(&t, 0x40000000, RAM_BASE, PTE_R | PTE_A, 1);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 27), 0);
    assert_int_equal(X(h, 3), 1); /* a 4 KiB page elsewhere: kept */
    assert_int_equal(X(h, 7), 6); /* the megapage: walked again */
}

/*
 * A page that becomes code while another address space could store to it on the fast
 * path: when that address space comes back, its stores must still find the decoded copy
 * and drop it.
 */
static void test_code_page_revoked_in_other_asid(void **state)
{
    struct harness *h = *state;
    struct pt a, b;
    struct prog p = begin_two(h, &a, &b);
    uint64_t code = DATA_PG;
    pt_map(&a, 0x31000, code, PTE_R | PTE_X | PTE_A, 0);
    pt_map(&b, 0x30000, code, RW_AD, 0);
    struct prog c = {h, code};
    op(&c, ADDI(5, 5, 1));
    op(&c, JALR(0, 1, 0));
    li(&p, 10, 0x31000);
    li(&p, 11, 0x30000);
    op(&p, CSRW(C_SATP, 21));
    op(&p, LW(12, 11, 0));
    op(&p, SW(12, 11, 0));        /* B may now store to the page on the fast path */
    op(&p, CSRW(C_SATP, 20));
    op(&p, JALR(1, 10, 0));       /* A runs it: it is code now */
    op(&p, CSRW(C_SATP, 21));
    li(&p, 13, ADDI(5, 0, 42));
    op(&p, SW(13, 11, 0));        /* B rewrites "addi x5, x5, 1" as "addi x5, x0, 42" */
    op(&p, CSRW(C_SATP, 20));
    op(&p, JALR(1, 10, 0));
    op(&p, WFI);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 27), 0);
    assert_int_equal(X(h, 5), 42);
}

/*
 * Clearing SUM drops what it allowed, in every ASID's entries, and nothing else: Linux
 * toggles it around each user copy, so it must not cost a flush.
 */
static void test_sum_cleared_precisely(void **state)
{
    struct harness *h = *state;
    struct pt a, b;
    struct prog p = begin_two(h, &a, &b);
    pt_map(&a, 0x10000, DATA_PG, RW_AD, 0);
    pt_map(&a, 0x50000, DATA_PG2, RW_AD | PTE_U, 0);
    put64(h, DATA_PG, 1);
    put64(h, DATA_PG2, 2);
    put64(h, DATA_PG3, 3);
    li(&p, 1, 0x10000);
    li(&p, 2, 0x50000);
    li(&p, 9, MSTATUS_SUM);
    op(&p, CSRRS(0, C_SSTATUS, 9));
    op(&p, LD(3, 1, 0));
    op(&p, LD(4, 2, 0));
    op(&p, CSRW(C_SATP, 21));
    op(&p, CSRRC(0, C_SSTATUS, 9)); /* while ASID 2 is current */
    op(&p, CSRW(C_SATP, 20));
    op(&p, WFI);
    op(&p, LD(5, 1, 0));            /* kept: SUM does not matter to an S page */
    op(&p, LD(6, 2, 0));            /* dropped: faults now */
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 3), 1);
    assert_int_equal(X(h, 4), 2);
    pt_map(&a, 0x10000, DATA_PG3, RW_AD, 0);
    expect_fault(h, RV_EXC_LOAD_PAGE, 0x50000);
    assert_int_equal(X(h, 5), 1);
    assert_int_equal(X(h, 6), 0);
}

/* Clearing MXR takes back the reads it allowed of an execute-only page. */
static void test_mxr_cleared(void **state)
{
    struct harness *h = *state;
    struct pt t = pt_new(h, 3);
    pt_map(&t, 0x60000, DATA_PG2, PTE_X | PTE_A, 0);
    put64(h, DATA_PG2, 0x60);
    struct prog p = begin_paged(h, &t, 8);
    li(&p, 1, MSTATUS_MXR);
    op(&p, CSRRS(0, C_SSTATUS, 1));
    li(&p, 3, 0x60000);
    op(&p, LD(6, 3, 0));
    op(&p, CSRRC(0, C_SSTATUS, 1));
    op(&p, LD(7, 3, 0));
    expect_fault(h, RV_EXC_LOAD_PAGE, 0x60000);
    assert_int_equal(X(h, 6), 0x60);
    assert_int_equal(X(h, 7), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sv39_ad_bits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_page_fault_unmapped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_page_fault_store_readonly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_page_fault_exec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_page_fault_delegated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_superpages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sum_mxr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mxr_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mprv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sv48, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sv39_noncanonical, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reserved_pte_bits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_w_without_r, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk_outside_ram, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sfence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_code_remapped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_cannot_jump_to_supervisor_code, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_user_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_s_cannot_exec_user_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_straddle_fault, setup, teardown),
        cmocka_unit_test_setup_teardown(test_misaligned_cross_fault, setup, teardown),
        cmocka_unit_test_setup_teardown(test_misaligned_store_second_page_fault, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsupported_satp_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tvm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_asid_entries_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_global_survives_switch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_asid_reuse_and_mode_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sfence_superpage_precise, setup, teardown),
        cmocka_unit_test_setup_teardown(test_code_page_revoked_in_other_asid, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sum_cleared_precisely, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mxr_cleared, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

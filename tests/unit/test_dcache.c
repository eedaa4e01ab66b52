/*
 * The hart's decode cache: code that changes under it must run as the new bytes say, and a
 * guest must not be able to make it grow without bound.
 */
#include "test_cpu_harness.h"

#include "riscv/cpu_internal.h"

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

#define FUNC (RAM_BASE + 0x3000) /* a function on a page of its own */

/* x5 = value; ret */
static void put_func(struct harness *h, uint64_t at, int32_t value)
{
    put32(h, at, ADDI(5, 0, value));
    put32(h, at + 4, JALR(0, 1, 0));
}

/* Self-modifying code on the page being executed, with no fence.i at all. */
static void test_store_same_page(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    /* x8 = address of the `target` instruction below; x7 = its replacement */
    rv_cpu_set_xreg(h->cpu, 7, ADDI(6, 0, 22));
    op(&p, AUIPC(8, 0));
    op(&p, ADDI(8, 8, 16));
    op(&p, LI(9, 0));
    /* loop: */
    uint64_t loop = p.pc;
    op(&p, ADDI(9, 9, 1));
    op(&p, ADDI(6, 0, 11)); /* target: patched to x6 = 22 after the first pass */
    op(&p, ADD(10, 10, 6));
    op(&p, SW(7, 8, 0));
    op(&p, LI(11, 2));
    op(&p, BNE(9, 11, (int32_t)(loop - p.pc)));
    op(&p, WFI);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 10), 11 + 22);
}

/* A store into a page that ran before (and whose write TLB entry predates its decoding). */
static void test_store_previously_executed_page(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    rv_cpu_set_xreg(h->cpu, 8, FUNC);
    rv_cpu_set_xreg(h->cpu, 7, ADDI(5, 0, 2));
    put_func(h, FUNC, 1);
    op(&p, SW(0, 8, 0x800)); /* data store first: the page gets a write TLB entry */
    op(&p, JAL(1, (int32_t)(FUNC - p.pc)));
    op(&p, ADD(20, 5, 0));
    op(&p, SW(7, 8, 0)); /* same page, same TLB entry: must not use a stale write tag */
    op(&p, JAL(1, (int32_t)(FUNC - p.pc)));
    op(&p, ADD(21, 5, 0));
    op(&p, WFI);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 20), 1);
    assert_int_equal(X(h, 21), 2);
}

/* Stores the hart makes through other paths: an AMO and a misaligned store. */
static void test_amo_and_misaligned_store(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    put_func(h, FUNC, 1);
    rv_cpu_set_xreg(h->cpu, 8, FUNC);
    /* amoswap the first instruction to x5 = 3 */
    rv_cpu_set_xreg(h->cpu, 7, ADDI(5, 0, 3));
    op(&p, JAL(1, (int32_t)(FUNC - p.pc)));
    op(&p, ADD(20, 5, 0));
    op(&p, AMO(0x01, 2, 0, 8, 7));
    op(&p, JAL(1, (int32_t)(FUNC - p.pc)));
    op(&p, ADD(21, 5, 0));
    /* then rewrite it with a misaligned 8-byte store at FUNC - 2 (two bytes before) */
    uint64_t insn = ADDI(5, 0, 4);
    rv_cpu_set_xreg(h->cpu, 12, (insn << 16) | ((uint64_t)JALR(0, 1, 0) << 48));
    op(&p, SD(12, 8, -2));
    op(&p, JAL(1, (int32_t)(FUNC - p.pc)));
    op(&p, ADD(22, 5, 0));
    op(&p, WFI);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 20), 1);
    assert_int_equal(X(h, 21), 3);
    assert_int_equal(X(h, 22), 4);
}

/*
 * A device writes code behind the hart's back (DMA): what the hart decoded stays until the
 * writer calls rv_cpu_invalidate_code(), and runs the new code after it.
 */
static void test_external_write_invalidate(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    put_func(h, FUNC, 1);
    uint64_t loop = p.pc;
    op(&p, JAL(1, (int32_t)(FUNC - p.pc)));
    op(&p, WFI);
    op(&p, JAL(0, (int32_t)(loop - p.pc)));
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 5), 1);

    put32(h, FUNC, ADDI(5, 0, 2));
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 5), 1); /* not told: still the decoded copy (proves it is cached) */

    rv_cpu_invalidate_code(h->cpu, FUNC, 4);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 5), 2);

    /* Ranges that only partly cover RAM, or not at all, are fine. */
    put32(h, FUNC, ADDI(5, 0, 3));
    rv_cpu_invalidate_code(h->cpu, 0, 16);
    rv_cpu_invalidate_code(h->cpu, UINT64_MAX - 8, 100);
    rv_cpu_invalidate_code(h->cpu, FUNC, 0);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 5), 2);
    rv_cpu_invalidate_code(h->cpu, RAM_BASE - 0x1000, FUNC - RAM_BASE + 0x1001);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 5), 3);
}

/* The classic sequence: store, fence.i, jump. */
static void test_fence_i(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    put_func(h, FUNC, 1);
    rv_cpu_set_xreg(h->cpu, 8, FUNC);
    rv_cpu_set_xreg(h->cpu, 7, ADDI(5, 0, 9));
    op(&p, JAL(1, (int32_t)(FUNC - p.pc)));
    op(&p, ADD(20, 5, 0));
    op(&p, SW(7, 8, 0));
    op(&p, FENCE_I);
    op(&p, JAL(1, (int32_t)(FUNC - p.pc)));
    op(&p, ADD(21, 5, 0));
    op(&p, WFI);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 20), 1);
    assert_int_equal(X(h, 21), 9);
}

/*
 * A 32-bit instruction at offset 0xffe: its upper half lives on the next page. Changing
 * only that half (by the hart, or by a device plus invalidation of that page alone) must
 * change the instruction.
 */
static void test_straddling_instruction(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    uint64_t at = FUNC + 0xffe;
    uint32_t v1 = ADDI(5, 0, 0x123), v2 = ADDI(5, 0, 0x456), v3 = ADDI(5, 0, 0x789);
    put16(h, at, (uint16_t)v1);
    put16(h, at + 2, (uint16_t)(v1 >> 16));
    put32(h, at + 4, JALR(0, 1, 0));
    rv_cpu_set_xreg(h->cpu, 8, at + 2);
    rv_cpu_set_xreg(h->cpu, 7, v2 >> 16);
    uint64_t loop = p.pc;
    op(&p, JAL(1, (int32_t)(at - p.pc)));
    op(&p, ADD(20, 5, 0));
    op(&p, SH(7, 8, 0)); /* only the upper half, on the second page */
    op(&p, JAL(1, (int32_t)(at - p.pc)));
    op(&p, ADD(21, 5, 0));
    op(&p, WFI);
    op(&p, JAL(0, (int32_t)(loop - p.pc))); /* the next run goes round again */
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 20), 0x123);
    assert_int_equal(X(h, 21), 0x456);

    /* Same low half (both are addi x5, 0, imm with imm's low bits in the upper half). */
    assert_int_equal(v3 & 0xffff, v2 & 0xffff);
    put16(h, at + 2, (uint16_t)(v3 >> 16));
    rv_cpu_invalidate_code(h->cpu, at + 2, 2);
    rv_cpu_set_xreg(h->cpu, 7, v3 >> 16);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 20), 0x789);
    assert_int_equal(X(h, 21), 0x789);
}

/* A jump into the second half of a 32-bit instruction decodes that half on its own. */
static void test_jump_into_instruction(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    /* lui x0, 0x0?: 32-bit word whose upper half is c.li x5, 7 (0x429d) */
    uint32_t word = 0x429d0037u; /* lui x0, 0x429d0 */
    put32(h, FUNC, word);
    put32(h, FUNC + 4, JALR(0, 1, 0));
    op(&p, JAL(1, (int32_t)(FUNC - p.pc)));
    op(&p, ADD(20, 5, 0));
    op(&p, JAL(1, (int32_t)(FUNC + 2 - p.pc)));
    op(&p, ADD(21, 5, 0));
    op(&p, WFI);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 20), 0);
    assert_int_equal(X(h, 21), 7);
}

/*
 * A hostile guest runs code on more pages than the cache holds, over and over: the cache
 * stays at its caps (code pages tracked, and pages of records) and the program still runs
 * correctly after evictions. The caps are lowered so a small RAM exceeds them.
 */
static void test_bounded_memory(void **state)
{
    (void)state;
    const uint64_t ram_size = 16ULL << 20;
    const unsigned pages = (unsigned)(ram_size >> 12);
    struct harness *h = calloc(1, sizeof(*h));
    assert_non_null(h);
    h->ram = calloc(1, ram_size);
    assert_non_null(h->ram);
    h->phys = (struct rv_phys){.ram_base = RAM_BASE, .ram_size = ram_size, .ram = h->ram,
                               .mmio = &h->bus};
    h->cpu = rv_cpu_new(&h->phys, 0);
    assert_non_null(h->cpu);
    assert_int_equal(rv_cpu_set_engine(h->cpu, HARNESS_ENGINE), 0);
    if (h->cpu->jit)
        rv_jit_set_hot_runs(h->cpu->jit, 2); /* the first lap interpreted, then translated */
    struct rv_dcache *dc = &h->cpu->dc;
    const uint32_t slot_cap = 1000, rec_cap = 100;
    dc->slot_cap = slot_cap;
    dc->rec_cap = rec_cap;
    /* Every page: count, then jump to the same offset on the next page; the last loops. */
    for (unsigned i = 0; i < pages; i++) {
        uint8_t *pg = h->ram + ((uint64_t)i << 12);
        uint32_t w[2] = {ADDI(6, 6, 1), i + 1 < pages ? JAL(0, 4096 - 4) : JALR(0, 9, 0)};
        memcpy(pg, w, sizeof(w));
    }
    rv_cpu_reset(h->cpu, RAM_BASE, 0);
    rv_cpu_set_xreg(h->cpu, 9, RAM_BASE);
    const uint64_t laps = 3;
    assert_int_equal(rv_cpu_run(h->cpu, 2 * pages * laps), RV_RUN_BUDGET);
    assert_int_equal(rv_cpu_get_xreg(h->cpu, 6), pages * laps);
    assert_int_equal(rv_cpu_get_pc(h->cpu), RAM_BASE);
    assert_true(dc->allocated <= slot_cap);
    assert_true(dc->stat_evictions >= pages * laps - slot_cap);
    assert_true(dc->rec_allocated <= rec_cap);
    /* The interpreter ran every page at least once (the JIT's first lap). */
    assert_true(dc->stat_rec_evictions >= pages - rec_cap);
    rv_cpu_free(h->cpu);
    free(h->ram);
    free(h);
}

/*
 * A page whose records were taken away is still a code page: a store into it is seen, and
 * the next call runs the new code. Only two pages of records for three pages of code.
 */
static void test_store_after_records_taken(void **state)
{
    struct harness *h = *state;
    if (h->cpu->jit)
        rv_jit_set_hot_runs(h->cpu->jit, 255); /* interpreted throughout, with records */
    h->cpu->dc.rec_cap = 2;
    struct prog p = prog_begin(h);
    put_func(h, FUNC, 1);
    put_func(h, FUNC + 0x1000, 2);
    put_func(h, FUNC + 0x2000, 3);
    rv_cpu_set_xreg(h->cpu, 8, FUNC);
    rv_cpu_set_xreg(h->cpu, 7, ADDI(5, 0, 9));
    op(&p, JAL(1, (int32_t)(FUNC - p.pc)));
    op(&p, ADD(20, 5, 0));
    op(&p, JAL(1, (int32_t)(FUNC + 0x1000 - p.pc)));
    op(&p, JAL(1, (int32_t)(FUNC + 0x2000 - p.pc)));
    op(&p, SW(7, 8, 0)); /* FUNC's records are gone by now (program page + 2 others) */
    op(&p, JAL(1, (int32_t)(FUNC - p.pc)));
    op(&p, ADD(21, 5, 0));
    op(&p, WFI);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 20), 1);
    assert_int_equal(X(h, 21), 9);
    assert_true(h->cpu->dc.stat_rec_evictions >= 2);
    assert_true(h->cpu->dc.rec_allocated <= 2);
    assert_true(h->cpu->dc.stat_invalidations >= 1);
}

/*
 * Record pages are taken away with a second chance: pages the hart keeps coming back to
 * (the caller and a helper it calls every time) keep their records while a stream of
 * pages each called once passes through. Four record pages for two hot pages and 30 cold
 * ones: each cold page costs one eviction (30 here); plain round robin costs 47, because
 * it takes the hot pages' records away too.
 */
static void test_hot_pages_keep_records(void **state)
{
    struct harness *h = *state;
    if (h->cpu->jit)
        rv_jit_set_hot_runs(h->cpu->jit, 255); /* interpreted throughout, with records */
    h->cpu->dc.rec_cap = 4;
    const unsigned cold = 30;
    struct prog p = prog_begin(h);
    put_func(h, FUNC, 1); /* the hot helper */
    for (unsigned i = 0; i < cold; i++)
        put_func(h, FUNC + 0x1000 * (i + 1), (int32_t)i + 100);
    op(&p, LI(20, 0));
    for (unsigned i = 0; i < cold; i++) {
        op(&p, JAL(1, (int32_t)(FUNC - p.pc)));
        op(&p, ADD(20, 20, 5));
        op(&p, JAL(1, (int32_t)(FUNC + 0x1000 * (i + 1) - p.pc)));
        op(&p, ADD(20, 20, 5));
    }
    op(&p, WFI);
    assert_true(p.pc < RAM_BASE + 0x1000); /* the caller is one page */
    assert_int_equal(run(h), RV_RUN_WFI);
    /* Every call ran its own code: 30 x 1 + (100 + ... + 129). */
    assert_int_equal(X(h, 20), cold + cold * 100 + cold * (cold - 1) / 2);
    assert_true(h->cpu->dc.rec_allocated <= 4);
    assert_true(h->cpu->dc.stat_rec_evictions >= cold - 2);
    assert_true(h->cpu->dc.stat_rec_evictions <= cold + 2);
}

/* Code pages lose their write tags; data pages next to them keep the fast path. */
static void test_write_tag_revoked(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    put_func(h, FUNC, 1);
    rv_cpu_set_xreg(h->cpu, 8, FUNC);
    rv_cpu_set_xreg(h->cpu, 9, FUNC + 0x1000);
    op(&p, SW(0, 8, 0x800));
    op(&p, SW(0, 9, 0)); /* the page after it: data only */
    op(&p, JAL(1, (int32_t)(FUNC - p.pc)));
    op(&p, WFI);
    assert_int_equal(run(h), RV_RUN_WFI);
    struct rv_cpu *c = h->cpu;
    unsigned idx = (FUNC >> 12) & (RV_TLB_SIZE - 1);
    assert_int_equal(c->tlb_m[idx].tag_w, RV_TLB_NONE);
    assert_int_equal(c->tlb_m[idx + 1].tag_w, FUNC + 0x1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_same_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_previously_executed_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_amo_and_misaligned_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_external_write_invalidate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fence_i, setup, teardown),
        cmocka_unit_test_setup_teardown(test_straddling_instruction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jump_into_instruction, setup, teardown),
        cmocka_unit_test(test_bounded_memory),
        cmocka_unit_test_setup_teardown(test_store_after_records_taken, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hot_pages_keep_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_tag_revoked, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

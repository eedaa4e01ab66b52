/*
 * Sdtrig triggers in the hart: tdata1's WARL rules field by field, the CSRs' access rules,
 * a store watchpoint on a device register (the write must never reach the device), and an
 * execute breakpoint reached one instruction per slice (budgets end exactly at it).
 */
#include "test_cpu_harness.h"

#include "riscv/cpu_internal.h"

#define C_TSELECT 0x7a0
#define C_TDATA1 0x7a1
#define C_TDATA2 0x7a2
#define C_TDATA3 0x7a3
#define C_TINFO 0x7a4
#define C_TCONTROL 0x7a5

#define TYPE(t) ((uint64_t)(t) << 60)
#define DMODE (1ULL << 59)
#define T_LOAD 0x1ULL
#define T_STORE 0x2ULL
#define T_EXEC 0x4ULL
#define T_U 0x8ULL
#define T_S 0x10ULL
#define T_M 0x40ULL
#define MATCH(m) ((uint64_t)(m) << 7)
#define ACTION(a) ((uint64_t)(a) << 12)
#define CHAIN (1ULL << 11)

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

static uint64_t csr(struct harness *h, unsigned n)
{
    uint64_t v = 0xdeadbeef;
    assert_int_equal(rv_csr_read(h->cpu, n, &v), 0);
    return v;
}

/* What tdata1 reads back after `v` is written. */
static uint64_t tdata1_after(struct harness *h, uint64_t v)
{
    assert_int_equal(rv_csr_write(h->cpu, C_TDATA1, v), 0);
    return csr(h, C_TDATA1);
}

static void test_tdata1_warl(void **state)
{
    struct harness *h = *state;
    /* reset: an mcontrol that matches nothing */
    assert_int_equal(csr(h, C_TDATA1), TYPE(2));
    /* what is supported reads back as written */
    uint64_t ok2 = TYPE(2) | (1ULL << 20) | MATCH(3) | T_M | T_S | T_U | T_EXEC | T_STORE |
                   T_LOAD;
    assert_int_equal(tdata1_after(h, ok2), ok2);
    uint64_t ok6 = TYPE(6) | (1ULL << 22) | MATCH(2) | T_M | T_S | T_U | T_EXEC | T_STORE |
                   T_LOAD;
    assert_int_equal(tdata1_after(h, ok6), ok6);
    /* 0 disables, as type 15 (the trigger has several types) */
    assert_int_equal(tdata1_after(h, 0), TYPE(15));
    /* dmode is Debug Mode's: M-mode cannot set it */
    assert_int_equal(tdata1_after(h, TYPE(2) | DMODE | T_M | T_EXEC), TYPE(2) | T_M | T_EXEC);
    /* action 1 needs dmode: it becomes 0 */
    assert_int_equal(tdata1_after(h, TYPE(2) | ACTION(1) | T_M | T_EXEC),
                     TYPE(2) | T_M | T_EXEC);
    /* fields kept at their one value: size, timing, chain, maskmax (mcontrol) ... */
    uint64_t narrow2 = TYPE(2) | (63ULL << 53) | (3ULL << 21) | (1ULL << 18) | (1ULL << 16) |
                       CHAIN | T_M | T_LOAD;
    assert_int_equal(tdata1_after(h, narrow2), TYPE(2) | T_M | T_LOAD);
    /* ... and size, vs, vu, hit1, uncertain, uncertainen (mcontrol6) */
    uint64_t narrow6 = TYPE(6) | (1ULL << 26) | (1ULL << 25) | (1ULL << 24) | (1ULL << 23) |
                       (5ULL << 16) | CHAIN | (1ULL << 5) | T_S | T_STORE;
    assert_int_equal(tdata1_after(h, narrow6), TYPE(6) | T_S | T_STORE);
    /* what cannot be honoured disables the trigger rather than matching something else */
    assert_int_equal(tdata1_after(h, TYPE(2) | ACTION(2) | T_M | T_EXEC), TYPE(15));
    assert_int_equal(tdata1_after(h, TYPE(2) | (1ULL << 19) | T_M | T_LOAD), TYPE(15));
    assert_int_equal(tdata1_after(h, TYPE(6) | (1ULL << 21) | T_M | T_LOAD), TYPE(15));
    assert_int_equal(tdata1_after(h, TYPE(2) | MATCH(1) | T_M | T_LOAD), TYPE(15));
    assert_int_equal(tdata1_after(h, TYPE(6) | MATCH(8) | T_M | T_LOAD), TYPE(15));
    assert_int_equal(tdata1_after(h, TYPE(3) | T_M), TYPE(15));  /* icount */
    assert_int_equal(tdata1_after(h, TYPE(1) | T_M), TYPE(15));  /* legacy */
    assert_int_equal(h->cpu->trig_armed, 0);
}

static void test_trigger_csrs(void **state)
{
    struct harness *h = *state;
    /* every trigger has its own tdata; tselect is WARL over the ones that exist */
    for (uint64_t i = 0; i < RV_NTRIG; i++) {
        assert_int_equal(rv_csr_write(h->cpu, C_TSELECT, i), 0);
        assert_int_equal(csr(h, C_TSELECT), i);
        assert_int_equal(rv_csr_write(h->cpu, C_TDATA2, 0x1000 + i), 0);
    }
    assert_int_equal(rv_csr_write(h->cpu, C_TSELECT, RV_NTRIG), 0);
    assert_int_equal(csr(h, C_TSELECT), RV_NTRIG - 1);
    assert_int_equal(rv_csr_write(h->cpu, C_TSELECT, UINT64_MAX), 0);
    assert_int_equal(csr(h, C_TSELECT), RV_NTRIG - 1);
    for (uint64_t i = 0; i < RV_NTRIG; i++) {
        assert_int_equal(rv_csr_write(h->cpu, C_TSELECT, i), 0);
        assert_int_equal(csr(h, C_TDATA2), 0x1000 + i);
    }
    /* tinfo: Sdtrig 1.0, types 2, 6 and 15; tdata3 (textra) all zero; both ignore writes */
    uint64_t tinfo = (1ULL << 24) | (1 << 2) | (1 << 6) | (1 << 15);
    assert_int_equal(csr(h, C_TINFO), tinfo);
    assert_int_equal(rv_csr_write(h->cpu, C_TINFO, 0), 0);
    assert_int_equal(csr(h, C_TINFO), tinfo);
    assert_int_equal(rv_csr_write(h->cpu, C_TDATA3, UINT64_MAX), 0);
    assert_int_equal(csr(h, C_TDATA3), 0);
    /* tcontrol is not implemented (the MIE rule handles reentrancy) */
    uint64_t v;
    assert_int_equal(rv_csr_read(h->cpu, C_TCONTROL, &v), -1);
    /* M-mode only */
    h->cpu->priv = RV_PRIV_S;
    assert_int_equal(rv_csr_read(h->cpu, C_TSELECT, &v), -1);
    assert_int_equal(rv_csr_write(h->cpu, C_TDATA1, 0), -1);
    h->cpu->priv = RV_PRIV_M;
    /* a reset disarms everything */
    assert_int_equal(rv_csr_write(h->cpu, C_TDATA1, TYPE(2) | T_M | T_EXEC | T_LOAD), 0);
    assert_int_equal(h->cpu->trig_armed, RV_TRIG_EXEC | RV_TRIG_LOAD);
    rv_cpu_reset(h->cpu, RAM_BASE, 0);
    assert_int_equal(h->cpu->trig_armed, 0);
    assert_int_equal(csr(h, C_TSELECT), 0);
    assert_int_equal(csr(h, C_TDATA1), TYPE(2));
}

/* A store watchpoint on a device register: the breakpoint comes first, the device sees nothing. */
static void test_store_watch_on_device(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    op(&p, CSRRSI(0, C_MSTATUS, 8)); /* MIE: M-mode triggers may fire (mie is 0) */
    li(&p, 1, DEV_BASE + 8);
    op(&p, CSRW(C_TDATA2, 1));
    li(&p, 2, TYPE(2) | T_M | T_STORE);
    op(&p, CSRW(C_TDATA1, 2));
    op(&p, LD(5, 1, 0));              /* a load is not watched */
    uint64_t at = p.pc;
    op(&p, SD(2, 1, 0));
    op(&p, LI(6, 1));
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 28), RV_EXC_BREAKPOINT);
    assert_int_equal(X(h, 29), at);
    assert_int_equal(X(h, 30), DEV_BASE + 8);
    assert_int_equal(X(h, 5), 0x1122334455667788ULL + 8);
    assert_int_equal(X(h, 6), 0);
    assert_int_equal(h->dev_writes, 0);
}

/*
 * An execute breakpoint reached in slices of one instruction: whatever the engine and the
 * slice boundaries, it fires before the instruction at its address and nothing after it.
 */
static void test_exec_breakpoint_one_per_slice(void **state)
{
    struct harness *h = *state;
    struct prog p = prog_begin(h);
    op(&p, CSRRSI(0, C_MSTATUS, 8));
    uint64_t li_at = p.pc;
    li(&p, 1, 0);                     /* patched below with the target */
    op(&p, CSRW(C_TDATA2, 1));
    li(&p, 2, TYPE(6) | T_M | T_EXEC);
    op(&p, CSRW(C_TDATA1, 2));
    op(&p, LI(5, 1));
    op(&p, LI(6, 2));
    uint64_t target = p.pc;
    op(&p, LI(7, 3));
    op(&p, LI(8, 4));
    emit_li(h, li_at, 1, target);
    enum rv_run_exit why = RV_RUN_BUDGET;
    for (int i = 0; i < 1000 && why != RV_RUN_WFI; i++)
        why = rv_cpu_run(h->cpu, 1);
    assert_int_equal(why, RV_RUN_WFI);
    assert_int_equal(X(h, 28), RV_EXC_BREAKPOINT);
    assert_int_equal(X(h, 29), target);
    assert_int_equal(X(h, 30), target);
    assert_int_equal(X(h, 6), 2);
    assert_int_equal(X(h, 7), 0);
    assert_int_equal(X(h, 8), 0);
    /* the hit bit (mcontrol6 hit0) says which trigger fired */
    assert_int_equal(csr(h, C_TDATA1), TYPE(6) | (1ULL << 22) | T_M | T_EXEC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tdata1_warl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trigger_csrs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_watch_on_device, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exec_breakpoint_one_per_slice, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

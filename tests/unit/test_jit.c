/*
 * The JIT itself: the x86-64 encoder against GNU as, W^X of the code buffer, and the
 * translation cache flushing when full. (Guest-visible behaviour is tested by running the
 * hart tests on both engines: test_*_jit.c.)
 */
#include "test_cpu_harness.h"

#include <errno.h>
#include <stdio.h>

#include "riscv/cpu_internal.h"
#include "riscv/jit/codebuf.h"
#include "riscv/jit/jit.h"
#include "riscv/jit/x86_64_emit.h"

static void expect_bytes(const struct xe *e, const uint8_t *want, size_t n)
{
    assert_false(e->overflow);
    assert_int_equal(xe_size(e), n);
    assert_memory_equal(e->start, want, n);
}

#define EXPECT(call, ...)                                                         \
    do {                                                                          \
        uint8_t buf_[32];                                                         \
        struct xe e_;                                                             \
        xe_init(&e_, buf_, sizeof(buf_));                                         \
        struct xe *e = &e_;                                                       \
        call;                                                                     \
        static const uint8_t want_[] = {__VA_ARGS__};                             \
        expect_bytes(e, want_, sizeof(want_));                                    \
    } while (0)

/* Expected bytes from `as --64` and `objdump -d -M intel` of the same instructions. */
static void test_encoder(void **state)
{
    (void)state;
    EXPECT(xe_mov_rm(e, XE_RAX, XE_RBX, 8, true), 0x48, 0x8b, 0x43, 0x08);
    EXPECT(xe_mov_mr(e, XE_RBX, 0x100, XE_RSI, true), 0x48, 0x89, 0xb3, 0x00, 0x01, 0, 0);
    EXPECT(xe_mov_rm(e, XE_R9, XE_R12, 0, true), 0x4d, 0x8b, 0x0c, 0x24);
    EXPECT(xe_mov_rm(e, XE_RAX, XE_RBP, 0, false), 0x8b, 0x45, 0x00);
    EXPECT(xe_mov_rr(e, XE_RCX, XE_R13, true), 0x4c, 0x89, 0xe9);
    EXPECT(xe_load(e, XE_RAX, XE_RSI, 0, 1, false), 0x0f, 0xb6, 0x06);
    EXPECT(xe_load(e, XE_RAX, XE_RSI, 0, 2, true), 0x48, 0x0f, 0xbf, 0x06);
    EXPECT(xe_load(e, XE_RAX, XE_RSI, 0, 4, true), 0x48, 0x63, 0x06);
    EXPECT(xe_store(e, XE_RSI, 0, XE_RSI, 1), 0x40, 0x88, 0x36);
    EXPECT(xe_store(e, XE_RSI, 0, XE_RAX, 2), 0x66, 0x89, 0x06);
    EXPECT(xe_alu_rm(e, XE_ADD, XE_RAX, XE_RBX, 0x80, true), 0x48, 0x03, 0x83, 0x80, 0, 0, 0);
    EXPECT(xe_alu_ri(e, XE_SUB, XE_RAX, 5, false), 0x83, 0xe8, 0x05);
    EXPECT(xe_alu_ri(e, XE_AND, XE_RCX, -4093, true), 0x48, 0x81, 0xe1, 0x03, 0xf0, 0xff, 0xff);
    EXPECT(xe_alu_rm(e, XE_CMP, XE_RCX, XE_RAX, 8, true), 0x48, 0x3b, 0x48, 0x08);
    EXPECT(xe_shift_ri(e, XE_SHL, XE_RAX, 5, true), 0x48, 0xc1, 0xe0, 0x05);
    EXPECT(xe_shift_rcl(e, XE_SAR, XE_RAX, false), 0xd3, 0xf8);
    EXPECT(xe_imul_rm(e, XE_RAX, XE_RBX, 16, true), 0x48, 0x0f, 0xaf, 0x43, 0x10);
    EXPECT(xe_mul_m(e, false, XE_RBX, 24), 0x48, 0xf7, 0x63, 0x18);
    EXPECT(xe_setcc(e, XE_CC_B, XE_RCX), 0x0f, 0x92, 0xc1);
    EXPECT(xe_lea(e, XE_RSI, XE_RSI, -2048), 0x48, 0x8d, 0xb6, 0x00, 0xf8, 0xff, 0xff);
    EXPECT(xe_mov_mi(e, XE_RBX, 40, -7), 0x48, 0xc7, 0x43, 0x28, 0xf9, 0xff, 0xff, 0xff);
    EXPECT(xe_alu_mi(e, XE_ADD, XE_RBX, 0x108, 3, true), 0x48, 0x83, 0x83, 0x08, 0x01, 0, 0, 3);
    EXPECT(xe_push(e, XE_RBX), 0x53);
    EXPECT(xe_pop(e, XE_R12), 0x41, 0x5c);
    EXPECT(xe_movsxd(e, XE_RAX, XE_RAX), 0x48, 0x63, 0xc0);
    EXPECT(xe_test_rr(e, XE_RAX, XE_RAX, false), 0x85, 0xc0);
    EXPECT(xe_imul_rr(e, XE_RAX, XE_R9, true), 0x49, 0x0f, 0xaf, 0xc1);
    EXPECT(xe_mul_r(e, false, XE_R11), 0x49, 0xf7, 0xe3);
    EXPECT(xe_mul_r(e, true, XE_R10), 0x49, 0xf7, 0xea);
    EXPECT(xe_mov_rr(e, XE_RAX, XE_R9, false), 0x44, 0x89, 0xc8);
    EXPECT(xe_mov_rr(e, XE_R8, XE_RAX, true), 0x49, 0x89, 0xc0);
    EXPECT(xe_alu_rr(e, XE_XOR, XE_RAX, XE_R11, false), 0x44, 0x31, 0xd8);
    EXPECT(xe_alu_rr(e, XE_CMP, XE_RAX, XE_R8, true), 0x4c, 0x39, 0xc0);
    EXPECT(xe_jmp_m(e, XE_RAX, 16), 0xff, 0x60, 0x10);
    EXPECT(xe_sign_extend_ax(e, true), 0x48, 0x99);
    EXPECT(xe_sign_extend_ax(e, false), 0x99);
    EXPECT(xe_div_r(e, true, XE_RCX, true), 0x48, 0xf7, 0xf9);
    EXPECT(xe_div_r(e, false, XE_RCX, true), 0x48, 0xf7, 0xf1);
    EXPECT(xe_div_r(e, true, XE_RCX, false), 0xf7, 0xf9);
    EXPECT(xe_div_r(e, false, XE_RCX, false), 0xf7, 0xf1);
    EXPECT(xe_neg(e, XE_RAX, true), 0x48, 0xf7, 0xd8);
    EXPECT(xe_neg(e, XE_RAX, false), 0xf7, 0xd8);
    EXPECT(xe_mov_ri(e, XE_RAX, 0x12345678), 0xb8, 0x78, 0x56, 0x34, 0x12);
    EXPECT(xe_mov_ri(e, XE_RDX, UINT64_MAX), 0x48, 0xc7, 0xc2, 0xff, 0xff, 0xff, 0xff);
    EXPECT(xe_mov_ri(e, XE_RCX, 0x123456789aULL), 0x48, 0xb9, 0x9a, 0x78, 0x56, 0x34, 0x12,
           0, 0, 0);
}

static void test_encoder_overflow_and_patch(void **state)
{
    (void)state;
    uint8_t buf[8];
    struct xe e;
    xe_init(&e, buf, sizeof(buf));
    uint8_t *site = xe_jcc(&e, XE_CC_NE); /* 6 bytes */
    xe_ret(&e);
    xe_patch(&e, site);
    assert_false(e.overflow);
    assert_int_equal(buf[0], 0x0f);
    assert_int_equal(buf[1], 0x85);
    assert_int_equal(buf[2], 1); /* over the ret */
    xe_mov_ri(&e, XE_RCX, 0x123456789aULL); /* 10 bytes do not fit in the 1 left */
    assert_true(e.overflow);
    assert_true(xe_size(&e) <= sizeof(buf));
}

/* No mapping of this process is writable and executable at once. */
static bool maps_have_wx(bool *saw_jit_exec)
{
    FILE *f = fopen("/proc/self/maps", "r");
    assert_non_null(f);
    char line[512];
    bool wx = false;
    *saw_jit_exec = false;
    while (fgets(line, sizeof(line), f)) {
        char perms[8] = "";
        if (sscanf(line, "%*s %7s", perms) != 1)
            continue;
        if (perms[1] == 'w' && perms[2] == 'x')
            wx = true;
        if (strstr(line, "kite-jit") && perms[2] == 'x')
            *saw_jit_exec = true;
    }
    fclose(f);
    return wx;
}

static void test_codebuf_wx(void **state)
{
    (void)state;
#if defined(__x86_64__)
    struct jit_codebuf cb;
    assert_int_equal(jit_codebuf_init(&cb, 1 << 16), 0);
    /* long f(long a) { return a + 42; } through the write view, run through the other. */
    struct xe e;
    xe_init(&e, cb.rw, cb.size);
    xe_mov_rr(&e, XE_RAX, XE_RDI, true);
    xe_alu_ri(&e, XE_ADD, XE_RAX, 42, true);
    xe_ret(&e);
    assert_false(e.overflow);
    long (*fn)(long) = (long (*)(long))(uintptr_t)jit_codebuf_exec_addr(&cb, cb.rw);
    assert_int_equal(fn(100), 142);
    bool saw;
    assert_false(maps_have_wx(&saw));
    assert_true(saw);
    jit_codebuf_destroy(&cb);
#else
    skip();
#endif
}

/* A hart running translated code leaves no page writable and executable either. */
static void test_hart_wx(void **state)
{
    (void)state;
    if (!rv_cpu_jit_available())
        skip();
    struct harness *h = harness_new();
    assert_int_equal(rv_cpu_set_engine(h->cpu, RV_ENGINE_JIT), 0);
    rv_jit_set_hot_runs(h->cpu->jit, 1);
    struct prog p = prog_begin(h);
    op(&p, LI(5, 3));
    op(&p, WFI);
    assert_int_equal(run(h), RV_RUN_WFI);
    assert_int_equal(X(h, 5), 3);
    bool saw;
    assert_false(maps_have_wx(&saw));
    assert_true(saw);
    struct rv_jit_stats st;
    rv_jit_get_stats(h->cpu->jit, &st);
    assert_true(st.blocks > 0);
    harness_free(h);
}

/*
 * A chain of `n` jumps, one block each, at RAM_BASE + 0x10000, run `laps` times (x5 counts
 * the blocks run); returns the JIT's statistics.
 */
static struct rv_jit_stats run_jump_chain(struct harness *h, unsigned n, unsigned laps)
{
    struct prog p = prog_begin(h);
    p.pc = RAM_BASE + 0x10000;
    struct prog q = prog_begin(h);
    op(&q, JAL(0, (int32_t)(p.pc - q.pc)));
    uint64_t start = p.pc;
    for (unsigned i = 0; i < n; i++) {
        op(&p, ADDI(5, 5, 1));
        op(&p, JAL(0, 4));
    }
    op(&p, ADDI(6, 6, -1));
    op(&p, BEQ(6, 0, 8));
    op(&p, JAL(0, (int32_t)(start - p.pc))); /* beyond a branch's reach */
    op(&p, WFI);
    rv_cpu_set_xreg(h->cpu, 6, laps);
    assert_int_equal(rv_cpu_run(h->cpu, 10ULL * n * laps), RV_RUN_WFI);
    assert_int_equal(X(h, 5), (uint64_t)n * laps);
    struct rv_jit_stats st;
    rv_jit_get_stats(h->cpu->jit, &st);
    return st;
}

/*
 * More blocks than the cache holds: a chain of jumps, one block each, must still run
 * correctly while the cache empties its oldest regions for new code (chains between
 * blocks of different regions included).
 */
static void test_cache_full_flushes(void **state)
{
    (void)state;
    if (!rv_cpu_jit_available())
        skip();
    struct harness *h = harness_new();
    assert_int_equal(rv_cpu_set_engine(h->cpu, RV_ENGINE_JIT), 0);
    rv_jit_set_hot_runs(h->cpu->jit, 1);
    const unsigned n = 70000;
    struct rv_jit_stats st = run_jump_chain(h, n, 1);
    assert_true(st.blocks > n);
    assert_true(st.evictions >= 1);
    harness_free(h);
}

/*
 * Code runs in the interpreter until its third run, then is translated: the same chain,
 * lap by lap, gets (nearly) no blocks twice, then (nearly) all of them. Nearly: run counts
 * live in a lossy hash, where two blocks sharing a counter get hot sooner or later.
 */
static void test_translated_when_hot(void **state)
{
    (void)state;
    if (!rv_cpu_jit_available())
        skip();
    struct harness *h = harness_new();
    assert_int_equal(rv_cpu_set_engine(h->cpu, RV_ENGINE_JIT), 0);
    rv_jit_set_hot_runs(h->cpu->jit, 3);
    const unsigned n = 1000;
    struct rv_jit_stats st = run_jump_chain(h, n, 2);
    assert_true(st.blocks <= n / 50);
    assert_true(st.interp_steps >= 2 * n - n / 50);
    rv_cpu_set_xreg(h->cpu, 5, 0);
    rv_cpu_set_xreg(h->cpu, 6, 1);
    h->cpu->pc = RAM_BASE + 0x10000;
    assert_int_equal(rv_cpu_run(h->cpu, 10ULL * n), RV_RUN_WFI);
    assert_int_equal(X(h, 5), n);
    rv_jit_get_stats(h->cpu->jit, &st);
    assert_true(st.blocks >= n - n / 50);
    harness_free(h);
}

/*
 * With the default threshold and a buffer too small for the program: laps over more blocks
 * than the buffer holds translate, empty regions and translate again, and count right
 * throughout.
 */
static void test_hot_code_across_evictions(void **state)
{
    (void)state;
    if (!rv_cpu_jit_available())
        skip();
    struct harness *h = harness_new();
    assert_int_equal(rv_cpu_set_engine(h->cpu, RV_ENGINE_JIT), 0);
    rv_jit_set_hot_runs(h->cpu->jit, 3);
    const unsigned n = 40000;
    struct rv_jit_stats st = run_jump_chain(h, n, 5);
    assert_true(st.blocks > n);
    assert_true(st.evictions >= 1);
    harness_free(h);
}

/* n blocks of "count in x5, jump to the next" at pc, then a return. */
static void put_counting_chain(struct harness *h, uint64_t pc, unsigned n)
{
    struct prog p = prog_begin(h);
    p.pc = pc;
    for (unsigned i = 0; i < n; i++) {
        op(&p, ADDI(5, 5, 1));
        op(&p, JAL(0, 4));
    }
    op(&p, JALR(0, 1, 0));
}

/*
 * A block must never jump straight into a region of the cache that was emptied and
 * filled with other code. B jumps back to A on the same page, but B is translated a region
 * later than A; then enough other code is translated to empty A's region (not B's) and
 * overwrite it. B must still reach A, not whatever now lies where A's code was.
 */
static void test_no_chain_into_reused_region(void **state)
{
    (void)state;
    if (!rv_cpu_jit_available())
        skip();
    struct harness *h = harness_new();
    assert_int_equal(rv_cpu_set_engine(h->cpu, RV_ENGINE_JIT), 0);
    rv_jit_set_hot_runs(h->cpu->jit, 1);
    const uint64_t a = RAM_BASE + 0x8000, b = a + 8;
    const uint64_t f1 = RAM_BASE + 0x10000, f2 = RAM_BASE + 0x40000;
    /* 4 regions of 5120 blocks: f1 moves on to the second, f2 wraps round to the first. */
    const unsigned n1 = 6000, n2 = 17000;
    put32(h, a, ADDI(7, 7, 1));
    put32(h, a + 4, JALR(0, 1, 0));
    put32(h, b, JAL(0, -8));
    put_counting_chain(h, f1, n1);
    put_counting_chain(h, f2, n2);
    struct prog p = prog_begin(h);
    op(&p, JAL(1, (int32_t)(a - p.pc)));
    op(&p, JAL(1, (int32_t)(f1 - p.pc)));
    op(&p, JAL(1, (int32_t)(b - p.pc)));
    op(&p, JAL(1, (int32_t)(f2 - p.pc)));
    op(&p, JAL(1, (int32_t)(b - p.pc)));
    op(&p, WFI);
    assert_int_equal(rv_cpu_run(h->cpu, 10ULL * (n1 + n2)), RV_RUN_WFI);
    assert_int_equal(X(h, 7), 3);
    assert_int_equal(X(h, 5), n1 + n2);
    struct rv_jit_stats st;
    rv_jit_get_stats(h->cpu->jit, &st);
    assert_true(st.evictions >= 4);
    harness_free(h);
}

/* Engine selection: the interpreter is always there; the JIT where the host has one. */
static void test_engine_select(void **state)
{
    (void)state;
    struct harness *h = harness_new();
    assert_null(h->cpu->jit);
    assert_int_equal(rv_cpu_set_engine(h->cpu, RV_ENGINE_DEFAULT), 0);
    assert_int_equal(h->cpu->jit != NULL, rv_cpu_jit_available());
    assert_int_equal(rv_cpu_set_engine(h->cpu, RV_ENGINE_INTERP), 0);
    assert_null(h->cpu->jit);
    int r = rv_cpu_set_engine(h->cpu, RV_ENGINE_JIT);
    assert_int_equal(r, rv_cpu_jit_available() ? 0 : -ENOTSUP);
    harness_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encoder),
        cmocka_unit_test(test_encoder_overflow_and_patch),
        cmocka_unit_test(test_codebuf_wx),
        cmocka_unit_test(test_hart_wx),
        cmocka_unit_test(test_cache_full_flushes),
        cmocka_unit_test(test_translated_when_hot),
        cmocka_unit_test(test_hot_code_across_evictions),
        cmocka_unit_test(test_no_chain_into_reused_region),
        cmocka_unit_test(test_engine_select),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

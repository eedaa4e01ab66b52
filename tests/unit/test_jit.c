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
    EXPECT(xe_mov_mr_idx8(e, XE_RBX, XE_RCX, 0x48, XE_R9), 0x4c, 0x89, 0x4c, 0xcb, 0x48);
    EXPECT(xe_mov_mr_idx8(e, XE_RBX, XE_RCX, 0x48, XE_RDX), 0x48, 0x89, 0x54, 0xcb, 0x48);
    EXPECT(xe_mov_rm_idx8(e, XE_R10, XE_RBX, XE_RCX, 0x48), 0x4c, 0x8b, 0x54, 0xcb, 0x48);
    EXPECT(xe_mov_rm_idx8(e, XE_RDI, XE_RBX, XE_RCX, 0x48), 0x48, 0x8b, 0x7c, 0xcb, 0x48);
    EXPECT(xe_mov_rm_idx8(e, XE_RAX, XE_RBX, XE_RCX, 0x400), 0x48, 0x8b, 0x84, 0xcb, 0x00, 0x04,
           0x00, 0x00);
    EXPECT(xe_test_al(e, 0x20), 0xa8, 0x20);
    EXPECT(xe_test_ah(e, 0x04), 0xf6, 0xc4, 0x04);
    EXPECT(xe_call_rel(e, 0x19, 0x124d), 0xe8, 0x2f, 0x12, 0x00, 0x00);
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
    EXPECT(xe_sd_m(e, XE_SD_LOAD, 0, XE_RBX, 0x210), 0xf2, 0x0f, 0x10, 0x83, 0x10, 0x02, 0, 0);
    EXPECT(xe_sd_m(e, XE_SD_ADD, 0, XE_RBX, 0x218), 0xf2, 0x0f, 0x58, 0x83, 0x18, 0x02, 0, 0);
    EXPECT(xe_sd_m(e, XE_SD_SQRT, 1, XE_RBX, 8), 0xf2, 0x0f, 0x51, 0x4b, 0x08);
    EXPECT(xe_sd_m(e, XE_SD_STORE, 2, XE_RBX, 0x300), 0xf2, 0x0f, 0x11, 0x93, 0, 0x03, 0, 0);
    EXPECT(xe_sd_m(e, XE_SD_DIV, 3, XE_R12, 0), 0xf2, 0x41, 0x0f, 0x5e, 0x1c, 0x24);
    EXPECT(xe_movq_from_xmm(e, XE_RAX, 2), 0x66, 0x48, 0x0f, 0x7e, 0xd0);
    EXPECT(xe_movq_from_xmm(e, XE_R9, 0), 0x66, 0x49, 0x0f, 0x7e, 0xc1);
    EXPECT(xe_fma231sd(e, XE_FMADD, 2, 0, 1), 0xc4, 0xe2, 0xf9, 0xb9, 0xd1);
    EXPECT(xe_fma231sd(e, XE_FNMSUB, 2, 0, 1), 0xc4, 0xe2, 0xf9, 0xbf, 0xd1);
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
 * later than A, so its chained jump leads into an older region; then enough other code is
 * translated to empty A's region (not B's) and overwrite it. B must still reach A, not
 * whatever now lies where A's code was: the jump must have been undone.
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

/*
 * The JIT's inline double-precision code must step aside wherever the answer is not a plain
 * normal number: a product rounded up to the smallest normal yet tiny (UF), an exact
 * subnormal sum, overflow, division by zero, exact zeros of both signs, a dynamic rounding
 * mode other than RNE and a reserved one. Each op runs translated with NX set, reads and
 * resets fflags after it, and must match the interpreter and the known IEEE answers.
 */
static void run_fp_edges(struct harness *h)
{
    static const uint64_t f[32] = {
        [1] = 0x3fefffffffffffffULL,  [2] = 0x0010000000000000ULL, /* (1 - 2^-53), DBL_MIN */
        [7] = 0x0018000000000000ULL,  [8] = 0x8010000000000000ULL, /* 1.5 min, -min */
        [10] = 0x7e37e43c8800759cULL, [12] = 0x3ff0000000000000ULL, /* 1e300, 1 */
        [16] = 0x8000000000000000ULL, [17] = 0x3ff8000000000000ULL, /* -0, 1.5 */
        [18] = 0x3cb0000000000000ULL,                                  /* 2^-52 */
    };
    struct prog p = prog_begin(h);
    op(&p, LUI(31, 6)); /* FS Dirty */
    op(&p, CSRRS(0, C_MSTATUS, 31));
    /* rd, rs1, rs2, rs3 (FMA), funct7 or major opcode, rm */
    static const struct { uint8_t rd, rs1, rs2, rs3; uint32_t f7, major, rm; } ops[] = {
        {4, 1, 2, 0, 0x09, 0x53, 0},  /* fmul: tiny, rounds to DBL_MIN: UF NX */
        {5, 1, 2, 3, 0x01, 0x43, 7},  /* fmadd + 0: the same */
        {6, 7, 8, 0, 0x01, 0x53, 0},  /* fadd: exact subnormal, no flag */
        {9, 10, 10, 0, 0x09, 0x53, 7}, /* fmul: overflow */
        {11, 12, 13, 0, 0x0d, 0x53, 0}, /* fdiv 1 / +0: DZ */
        {14, 12, 12, 0, 0x05, 0x53, 0}, /* fsub 1 - 1: +0 */
        {15, 12, 16, 0, 0x09, 0x53, 0}, /* fmul 1 * -0: -0 */
        {19, 17, 18, 0, 0x01, 0x53, 0}, /* fadd 1.5 + 2^-52: exact, normal */
        {20, 17, 18, 0, 0x09, 0x53, 0}, /* fmul: normal */
        {21, 12, 0, 0, 0x2d, 0x53, 0},  /* fsqrt 1 */
    };
    const unsigned n = sizeof(ops) / sizeof(ops[0]);
    for (unsigned k = 0; k < n; k++) {
        uint32_t insn = ops[k].major == 0x53
                        ? enc_r(ops[k].f7, ops[k].rs2, ops[k].rs1, ops[k].rm, ops[k].rd, 0x53)
                        : enc_r((uint32_t)ops[k].rs3 << 2 | 1, ops[k].rs2, ops[k].rs1,
                                ops[k].rm, ops[k].rd, ops[k].major);
        op(&p, enc_i(0x73, 0, 5, 1, 0x001));            /* fflags = NX */
        op(&p, insn);
        op(&p, enc_i(0x73, 6 + k, 2, 0, 0x001));        /* x(6+k) = fflags */
    }
    /* Dynamic rounding toward zero: (1.5 + 2^-52) * 1.5 is inexact, 3/4 ulp above 2.25. */
    op(&p, enc_i(0x73, 0, 5, 1, 0x002));                /* frm = RTZ */
    op(&p, enc_i(0x73, 0, 5, 1, 0x001));
    op(&p, enc_r(0x01, 18, 17, 7, 22, 0x53));           /* f22 = 1.5 + 2^-52 (exact) */
    op(&p, enc_r(0x09, 17, 22, 7, 23, 0x53));           /* f23 = f22 * 1.5, RTZ */
    op(&p, enc_i(0x73, 0, 5, 5, 0x002));                /* frm = 5: reserved */
    op(&p, enc_r(0x01, 18, 17, 7, 24, 0x53));           /* illegal instruction */
    op(&p, WFI);
    for (unsigned i = 0; i < 32; i++)
        h->cpu->fp.f[i] = f[i];
    rv_cpu_run(h->cpu, 1000);
}

static void test_fp_inline_edges(void **state)
{
    (void)state;
    if (!rv_cpu_jit_available())
        skip();
    struct harness *hi = harness_new(), *hj = harness_new();
    assert_int_equal(rv_cpu_set_engine(hj->cpu, RV_ENGINE_JIT), 0);
    rv_jit_set_hot_runs(hj->cpu->jit, 1);
    run_fp_edges(hi);
    run_fp_edges(hj);
    struct rv_jit_stats st;
    rv_jit_get_stats(hj->cpu->jit, &st);
    assert_true(st.blocks >= 10);
    static const uint64_t want_flags[] = {3, 3, 0, 5, 8, 0, 0, 0, 0, 0};
    static const struct { unsigned r; uint64_t v; } want_f[] = {
        {4, 0x0010000000000000ULL}, {5, 0x0010000000000000ULL}, {6, 0x0008000000000000ULL},
        {9, 0x7ff0000000000000ULL}, {11, 0x7ff0000000000000ULL}, {14, 0}, {15, 1ULL << 63},
        {19, 0x3ff8000000000001ULL}, {20, 0x3cb8000000000000ULL}, {21, 0x3ff0000000000000ULL},
        {22, 0x3ff8000000000001ULL}, {23, 0x4002000000000000ULL}, /* RNE: ...01 */
    };
    for (unsigned k = 0; k < sizeof(want_flags) / sizeof(want_flags[0]); k++) {
        assert_int_equal(X(hj, 6 + k), want_flags[k] | 1); /* NX was set before each */
        assert_int_equal(X(hi, 6 + k), X(hj, 6 + k));
    }
    for (unsigned k = 0; k < sizeof(want_f) / sizeof(want_f[0]); k++) {
        assert_int_equal(hj->cpu->fp.f[want_f[k].r], want_f[k].v);
        assert_int_equal(hi->cpu->fp.f[want_f[k].r], want_f[k].v);
    }
    assert_int_equal(hj->cpu->fp.fflags, 1); /* RTZ product inexact, then the illegal one */
    assert_int_equal(X(hj, 28), 2);           /* illegal instruction */
    assert_int_equal(X(hj, 30), enc_r(0x01, 18, 17, 7, 24, 0x53));
    assert_int_equal(hj->cpu->fp.f[24], 0);
    assert_int_equal(memcmp(&hi->cpu->fp, &hj->cpu->fp, sizeof(hi->cpu->fp)), 0);
    assert_int_equal(hi->cpu->instret, hj->cpu->instret);
    harness_free(hi);
    harness_free(hj);
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
        cmocka_unit_test(test_fp_inline_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * CLINT: msip -> MSIP, mtimecmp -> MTIP through the hart's timer compare, mtime from the
 * host clock, and hostile accesses. mip is observed by a real hart running `csrr a0, mip`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/clock.h"
#include "hw/clint.h"
#include "riscv/cpu.h"

#define NHARTS 2
#define RAM_BASE 0x80000000ULL
#define RAM_SIZE 16384     /* room for 4096 probes per test */

#define MSIP(h)     (4u * (h))
#define MTIMECMP(h) (0x4000u + 8u * (h))
#define MTIME       0xbff8u

struct fixture {
    uint8_t ram[RAM_SIZE];
    struct mmio_bus bus;
    struct rv_phys phys;
    struct rv_cpu *harts[NHARTS];
    struct clint *c;
    struct mmio_region r;
};

static int setup(void **state)
{
    struct fixture *f = test_calloc(1, sizeof(*f));
    assert_non_null(f);
    /* RAM full of `csrr a0, mip`: each probe runs one, no branches involved. */
    const uint32_t csrr_a0_mip = 0x34402573;
    for (size_t i = 0; i < RAM_SIZE / 4; i++)
        memcpy(f->ram + 4 * i, &csrr_a0_mip, 4);
    f->phys = (struct rv_phys){.ram_base = RAM_BASE, .ram_size = RAM_SIZE, .ram = f->ram,
                               .mmio = &f->bus};
    clock_mtime_reset();
    for (int h = 0; h < NHARTS; h++) {
        f->harts[h] = rv_cpu_new(&f->phys, (uint64_t)h);
        assert_non_null(f->harts[h]);
        rv_cpu_reset(f->harts[h], RAM_BASE, 0);
    }
    struct hart_if his[NHARTS];
    for (int h = 0; h < NHARTS; h++)
        his[h] = rv_cpu_hart_if(f->harts[h]);
    f->c = clint_new(his, NHARTS);
    assert_non_null(f->c);
    f->r = clint_region(f->c, 0x02000000);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    clint_free(f->c);
    for (int h = 0; h < NHARTS; h++)
        rv_cpu_free(f->harts[h]);
    test_free(f);
    return 0;
}

static uint64_t mip(struct fixture *f, int h, uint64_t mask)
{
    rv_cpu_run(f->harts[h], 1);
    return rv_cpu_get_xreg(f->harts[h], 10) & mask;
}

static uint64_t rd(struct fixture *f, uint32_t off, unsigned size)
{
    return f->r.read(f->r.opaque, off, size);
}

static void wr(struct fixture *f, uint32_t off, uint64_t v, unsigned size)
{
    f->r.write(f->r.opaque, off, v, size);
}

static void test_msip(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(f->r.size, 0x10000);
    assert_int_equal(rd(f, MSIP(1), 4), 0);
    wr(f, MSIP(1), 0xffffffff, 4);
    assert_int_equal(rd(f, MSIP(1), 4), 1);         /* only bit 0 exists */
    assert_int_equal(mip(f, 1, MIP_MSIP), MIP_MSIP);
    assert_int_equal(mip(f, 0, MIP_MSIP), 0);
    wr(f, MSIP(1), 0, 4);
    assert_int_equal(mip(f, 1, MIP_MSIP), 0);
    wr(f, MSIP(0), 1, 4);
    assert_int_equal(mip(f, 0, MIP_MSIP), MIP_MSIP);
    assert_int_equal(rd(f, MSIP(0), 4), 1);
}

static void test_mtime_advances(void **state)
{
    struct fixture *f = *state;
    uint64_t a = rd(f, MTIME, 8);
    uint64_t host = clock_mtime();
    assert_true(host >= a && host - a < CLOCK_TIMEBASE_HZ);
    struct timespec ts = {0, 2000000};              /* 2 ms = 20000 ticks */
    nanosleep(&ts, NULL);
    uint64_t b = rd(f, MTIME, 8);
    assert_true(b >= a + 20000);
    /* 32-bit halves agree with the 64-bit value. */
    uint64_t lo = rd(f, MTIME, 4), hi = rd(f, MTIME + 4, 4);
    assert_true(lo <= 0xffffffffULL && hi <= 0xffffffffULL);
    uint64_t c = rd(f, MTIME, 8);
    assert_true(((hi << 32) | lo) <= c);
    assert_int_equal(hi, c >> 32);
    /* mtime cannot be written. */
    wr(f, MTIME, 0, 8);
    assert_true(rd(f, MTIME, 8) >= c);
}

static void test_mtimecmp_mtip(void **state)
{
    struct fixture *f = *state;
    wr(f, MTIMECMP(0), UINT64_MAX, 8);
    assert_int_equal(rd(f, MTIMECMP(0), 8), UINT64_MAX);
    assert_int_equal(rv_cpu_get_mtimecmp(f->harts[0]), UINT64_MAX);
    assert_int_equal(mip(f, 0, MIP_MTIP), 0);

    /* A deadline already passed raises MTIP at once: the write updates the hart's timers. */
    wr(f, MTIMECMP(0), 0, 8);
    assert_int_equal(mip(f, 0, MIP_MTIP), MIP_MTIP);
    assert_int_equal(mip(f, 1, MIP_MTIP), 0);

    /* Pushing the deadline into the future clears it. */
    wr(f, MTIMECMP(0), rd(f, MTIME, 8) + 1000 * CLOCK_TIMEBASE_HZ, 8);
    assert_int_equal(mip(f, 0, MIP_MTIP), 0);

    /* A near deadline fires once time reaches it and the machine updates the timers. */
    uint64_t deadline = rd(f, MTIME, 8) + 10000;    /* 1 ms */
    wr(f, MTIMECMP(0), deadline, 8);
    assert_int_equal(mip(f, 0, MIP_MTIP), 0);
    struct timespec ts = {0, 2000000};
    nanosleep(&ts, NULL);
    rv_cpu_update_timers(f->harts[0], clock_mtime());
    assert_int_equal(mip(f, 0, MIP_MTIP), MIP_MTIP);
}

static void test_mtimecmp_halves(void **state)
{
    struct fixture *f = *state;
    /* The classic RV32-safe sequence: high to all ones, low, then the real high. */
    wr(f, MTIMECMP(1) + 4, 0xffffffff, 4);
    wr(f, MTIMECMP(1), 0x89abcdef, 4);
    wr(f, MTIMECMP(1) + 4, 0x01234567, 4);
    assert_int_equal(rd(f, MTIMECMP(1), 8), 0x0123456789abcdefULL);
    assert_int_equal(rd(f, MTIMECMP(1), 4), 0x89abcdef);
    assert_int_equal(rd(f, MTIMECMP(1) + 4, 4), 0x01234567);
    assert_int_equal(rv_cpu_get_mtimecmp(f->harts[1]), 0x0123456789abcdefULL);
    assert_int_equal(mip(f, 1, MIP_MTIP), 0);
}

static void test_hostile_accesses(void **state)
{
    struct fixture *f = *state;
    wr(f, MTIMECMP(0), UINT64_MAX, 8);
    wr(f, MTIMECMP(1), UINT64_MAX, 8);
    /* Nonexistent harts. */
    wr(f, MSIP(2), 1, 4);
    assert_int_equal(rd(f, MSIP(2), 4), 0);
    wr(f, MSIP(4094), 1, 4);
    wr(f, MTIMECMP(2), 0, 8);
    assert_int_equal(rd(f, MTIMECMP(2), 8), 0);
    wr(f, MTIMECMP(4094), 0, 8);
    /* Misaligned and odd-width accesses change nothing. */
    wr(f, MSIP(0), 1, 1);
    wr(f, MSIP(0) + 1, 1, 4);
    wr(f, MSIP(0), 1, 8);
    assert_int_equal(rd(f, MSIP(0), 4), 0);
    wr(f, MTIMECMP(0), 0, 2);
    wr(f, MTIMECMP(0) + 4, 0, 8);
    wr(f, MTIMECMP(0) + 2, 0, 4);
    assert_int_equal(rd(f, MTIMECMP(0), 8), UINT64_MAX);
    assert_int_equal(rd(f, MTIME, 2), 0);
    assert_int_equal(rd(f, MTIME + 4, 8), 0);
    /* Offsets past mtime read zero. */
    assert_int_equal(rd(f, 0xc000, 4), 0);
    assert_int_equal(rd(f, 0xfff8, 8), 0);
    wr(f, 0xfff8, 1, 8);
    for (int h = 0; h < NHARTS; h++)
        assert_int_equal(mip(f, h, MIP_MSIP | MIP_MTIP), 0);
}

static void test_bad_construction(void **state)
{
    (void)state;
    struct hart_if none[1] = {{0}};
    assert_null(clint_new(none, 1));
    assert_null(clint_new(none, 0));
    assert_null(clint_new(NULL, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_msip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mtime_advances, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mtimecmp_mtip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mtimecmp_halves, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_accesses, setup, teardown),
        cmocka_unit_test(test_bad_construction),
    };
    return cmocka_run_group_tests_name("clint", tests, NULL, NULL);
}

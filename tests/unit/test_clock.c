/*
 * The guest's clock while the machine is stopped (QMP stop/cont): mtime stands still while
 * paused and goes on from where it stopped, without the paused time. The bounds come from
 * host timestamps taken around each call, so no sleep length is assumed.
 *
 * Then --icount: guest time as a function of an instruction counter only.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "core/clock.h"

#define NS_PER_TICK (1000000000ULL / CLOCK_TIMEBASE_HZ)

static void nap(void)
{
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
}

static void test_pause_freezes_mtime(void **state)
{
    clock_mtime_reset();
    nap();
    clock_mtime_pause();
    uint64_t a = clock_mtime();
    nap();
    uint64_t b = clock_mtime();
    assert_int_equal(a, b);
    assert_true(a >= 20 * 1000 * 1000 / NS_PER_TICK);
    /* Pausing twice does not move the pause point. */
    clock_mtime_pause();
    assert_int_equal(clock_mtime(), a);

    uint64_t t0 = clock_host_ns();
    clock_mtime_resume();
    uint64_t c = clock_mtime();
    uint64_t t1 = clock_host_ns();
    assert_true(c >= b);
    /* Only the time since the resume counts: at most t1 - t0, not the 20 ms paused. */
    assert_true(c - b <= (t1 - t0) / NS_PER_TICK + 1);
    nap();
    assert_true(clock_mtime() >= c + 20 * 1000 * 1000 / NS_PER_TICK);
    clock_mtime_resume();       /* resuming a running clock changes nothing */
}

static void test_reset_while_paused(void **state)
{
    clock_mtime_reset();
    clock_mtime_pause();
    nap();
    /* A machine reset while stopped (system_reset) starts at 0 and stays there. */
    clock_mtime_reset();
    assert_int_equal(clock_mtime(), 0);
    nap();
    assert_int_equal(clock_mtime(), 0);
    uint64_t t0 = clock_host_ns();
    clock_mtime_resume();
    uint64_t c = clock_mtime();
    uint64_t t1 = clock_host_ns();
    assert_true(c <= (t1 - t0) / NS_PER_TICK + 1);
}

/*
 * --icount. These run after the host-clock tests: enabling is for the rest of the process,
 * as in kite. A counter the test advances stands in for the hart.
 */
static uint64_t fake_count;

static uint64_t read_fake(void *opaque)
{
    return *(uint64_t *)opaque;
}

static uint64_t until_mtime(uint64_t deadline)
{
    return clock_icount_insns_until(clock_mtime_to_ns(deadline));
}

static void warp_mtime(uint64_t deadline)
{
    clock_icount_warp_to(clock_mtime_to_ns(deadline));
}

static void icount_boot(unsigned shift)
{
    assert_int_equal(clock_icount_enable(shift), 0);
    clock_icount_attach(NULL, NULL);   /* the last boot's hart goes, as in run.c */
    fake_count = 1000;      /* a hart that ran before this boot: only later counts matter */
    clock_icount_attach(read_fake, &fake_count);
    clock_mtime_reset();
}

static void test_icount_rejects_big_shift(void **state)
{
    assert_int_equal(clock_icount_enable(CLOCK_ICOUNT_MAX_SHIFT + 1), -EINVAL);
    assert_false(clock_icount_enabled());
}

static void test_icount_time_is_instructions(void **state)
{
    icount_boot(0);
    assert_true(clock_icount_enabled());
    assert_int_equal(clock_mtime(), 0);
    /* The host's time does not move guest time. */
    nap();
    assert_int_equal(clock_icount_ns(), 0);
    /* 1 ns per instruction: 100 instructions are one 10 MHz tick. */
    fake_count += 99;
    assert_int_equal(clock_mtime(), 0);
    fake_count += 1;
    assert_int_equal(clock_mtime(), 1);
    assert_int_equal(clock_icount_ns(), 100);
    /* Shift 3: 8 ns each. */
    icount_boot(3);
    fake_count += 25;
    assert_int_equal(clock_icount_ns(), 200);
    assert_int_equal(clock_mtime(), 2);
    /* Pausing (QMP stop) changes nothing: a stopped hart retires nothing by itself. */
    clock_mtime_pause();
    fake_count += 25;
    assert_int_equal(clock_mtime(), 4);
    clock_mtime_resume();
    assert_int_equal(clock_mtime(), 4);
}

static void test_icount_insns_until(void **state)
{
    icount_boot(3);                               /* 8 ns per instruction */
    assert_int_equal(until_mtime(0), 0);
    assert_int_equal(until_mtime(UINT64_MAX), UINT64_MAX);
    /* Tick 1 is 100 ns: 12.5 instructions, so 13 reach it and 12 do not. */
    assert_int_equal(until_mtime(1), 13);
    fake_count += 12;
    assert_int_equal(clock_mtime(), 0);
    assert_int_equal(until_mtime(1), 1);
    fake_count += 1;
    assert_int_equal(clock_mtime(), 1);
    assert_int_equal(until_mtime(1), 0);
    /* A deadline too far for nanoseconds saturates instead of wrapping. */
    assert_int_equal(clock_mtime_to_ns(UINT64_MAX - 1), UINT64_MAX);
    assert_int_equal(until_mtime(UINT64_MAX - 1), UINT64_MAX);
    /* In nanoseconds: 8 ns per instruction. */
    assert_int_equal(clock_icount_insns_until(clock_icount_ns() + 17), 3);
}

static void test_icount_warp(void **state)
{
    icount_boot(0);
    fake_count += 250;
    /* An idle guest jumps to its deadline, with no instruction retired... */
    warp_mtime(1000);
    assert_int_equal(clock_mtime(), 1000);
    assert_int_equal(clock_icount_ns(), 100000);
    assert_int_equal(until_mtime(1000), 0);
    /* ...and never back. */
    warp_mtime(10);
    assert_int_equal(clock_mtime(), 1000);
    fake_count += 100;
    assert_int_equal(clock_mtime(), 1001);
    /* A reset starts at 0 again, warps forgotten. */
    clock_mtime_reset();
    assert_int_equal(clock_mtime(), 0);
}

static void test_icount_wall_clock(void **state)
{
    icount_boot(0);
    uint64_t w0 = clock_wall_ns();
    assert_true(w0 >= CLOCK_ICOUNT_EPOCH_NS);
    nap();
    assert_int_equal(clock_wall_ns(), w0);
    fake_count += 5000;
    assert_int_equal(clock_wall_ns(), w0 + 5000);
    /* A reboot: mtime restarts, the wall clock goes on from where the last boot ended. */
    warp_mtime(100);              /* 10 us of this boot skipped idle */
    uint64_t before = clock_wall_ns();
    clock_icount_attach(NULL, NULL);              /* the hart goes away */
    assert_int_equal(clock_wall_ns(), before);
    static uint64_t next_hart = 7;
    clock_icount_attach(read_fake, &next_hart);
    clock_mtime_reset();
    assert_int_equal(clock_mtime(), 0);
    assert_int_equal(clock_wall_ns(), before);
    next_hart += 40;
    assert_int_equal(clock_wall_ns(), before + 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pause_freezes_mtime),
        cmocka_unit_test(test_reset_while_paused),
        cmocka_unit_test(test_icount_rejects_big_shift),
        cmocka_unit_test(test_icount_time_is_instructions),
        cmocka_unit_test(test_icount_insns_until),
        cmocka_unit_test(test_icount_warp),
        cmocka_unit_test(test_icount_wall_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

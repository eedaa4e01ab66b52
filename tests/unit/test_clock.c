/*
 * The guest's clock while the machine is stopped (QMP stop/cont): mtime stands still while
 * paused and goes on from where it stopped, without the paused time. The bounds come from
 * host timestamps taken around each call, so no sleep length is assumed.
 */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pause_freezes_mtime),
        cmocka_unit_test(test_reset_while_paused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

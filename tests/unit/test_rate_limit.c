/*
 * The token bucket on a clock the test drives: partial takes, whole takes (a request larger
 * than the bucket is paid for afterwards), and when a waiting request will be ready.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "virtio/rate_limit.h"

#define MS 1000000ULL
#define T0 (1000 * MS)

static void test_take_is_partial(void **state)
{
    (void)state;
    struct rate_limit rl;
    rate_limit_init(&rl, 1000, 100, T0);    /* 1 token per ms, 100 in the bucket */
    assert_int_equal(rate_limit_take(&rl, 64, T0), 64);
    assert_int_equal(rate_limit_take(&rl, 64, T0), 36);
    assert_int_equal(rate_limit_take(&rl, 64, T0), 0);
    assert_int_equal(rate_limit_take(&rl, 64, T0 + 10 * MS), 10);
}

static void test_take_whole_or_nothing(void **state)
{
    (void)state;
    struct rate_limit rl;
    rate_limit_init(&rl, 1000, 100, T0);
    assert_int_equal(rate_limit_take_whole(&rl, 64, T0), 64);
    /* 36 left: a 64-byte request gets nothing, not 36. */
    assert_int_equal(rate_limit_take_whole(&rl, 64, T0), 0);
    assert_int_equal(rl.tokens, 36);
    assert_int_equal(rate_limit_ready_at(&rl, 64, T0), T0 + 28 * MS);
    assert_int_equal(rate_limit_take_whole(&rl, 64, T0 + 27 * MS), 0);
    assert_int_equal(rate_limit_take_whole(&rl, 64, T0 + 28 * MS), 64);
    assert_int_equal(rl.tokens, 0);
}

static void test_take_whole_beyond_bucket_is_owed(void **state)
{
    (void)state;
    struct rate_limit rl;
    rate_limit_init(&rl, 1000, 48, T0);
    /* Only a full bucket pays for a request larger than it. */
    assert_int_equal(rate_limit_take_whole(&rl, 64, T0), 64);
    assert_int_equal(rate_limit_take_whole(&rl, 1, T0), 0);
    /* 16 tokens owed: the first new one accrues 17 ms on, the bucket is full 16 ms later. */
    assert_int_equal(rate_limit_ready_at(&rl, 1, T0), T0 + 17 * MS);
    assert_int_equal(rate_limit_ready_at(&rl, 64, T0), T0 + 64 * MS);
    assert_int_equal(rate_limit_take(&rl, 1, T0 + 16 * MS), 0);
    assert_int_equal(rate_limit_take_whole(&rl, 64, T0 + 63 * MS), 0);
    assert_int_equal(rate_limit_take_whole(&rl, 64, T0 + 64 * MS), 64);
}

/* Served as soon as ready, whole requests never beat the rate: burst + rate * time. */
static void test_take_whole_rate_holds(void **state)
{
    (void)state;
    static const uint64_t bursts[] = {1, 48, 64, 100, 256, 5000};
    for (unsigned b = 0; b < sizeof(bursts) / sizeof(bursts[0]); b++) {
        struct rate_limit rl;
        rate_limit_init(&rl, 2048, bursts[b], T0);
        uint64_t now = T0, served = 0;
        for (int i = 0; i < 500; i++) {
            now = rate_limit_ready_at(&rl, 64, now);
            uint64_t got = rate_limit_take_whole(&rl, 64, now);
            assert_int_equal(got, 64);
            served += got;
            /* Whole tokens only: what accrued by now, plus the first request's excess. */
            uint64_t earned = (now - T0) * 2048 / 1000000000ULL;
            uint64_t first_excess = bursts[b] < 64 ? 64 - bursts[b] : 0;
            assert_true(served <= bursts[b] + earned + first_excess);
        }
        /* Nor does it fall behind: 32000 bytes at 2048/s take under 16 s. */
        assert_true(now - T0 <= 16000 * MS);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_take_is_partial),
        cmocka_unit_test(test_take_whole_or_nothing),
        cmocka_unit_test(test_take_whole_beyond_bucket_is_owed),
        cmocka_unit_test(test_take_whole_rate_holds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

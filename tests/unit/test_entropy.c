/*
 * Entropy backends: the fixed stream --icount uses must give the same bytes for the same
 * seed however they are asked for, and different bytes for different seeds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "backend/entropy.h"

static void test_seeded_is_splitmix64(void **state)
{
    (void)state;
    /* SplitMix64's published first outputs from seed 0 (as in its reference C code). */
    struct entropy_seeded s;
    entropy_seeded_init(&s, 0);
    uint64_t v[2];
    entropy_seeded_fill(&s, v, sizeof(v));
    assert_int_equal(v[0], 0xe220a8397b1dcdafULL);
    assert_int_equal(v[1], 0x6e789e6aa1b965f4ULL);
}

static void test_seeded_replays(void **state)
{
    (void)state;
    struct entropy_seeded a, b, c;
    entropy_seeded_init(&a, ENTROPY_SEED_RNG);
    entropy_seeded_init(&b, ENTROPY_SEED_RNG);
    entropy_seeded_init(&c, ENTROPY_SEED_FDT);
    uint8_t whole[1000], parts[1000], other[1000];
    entropy_seeded_fill(&a, whole, sizeof(whole));
    /* Through the source interface, in pieces of 8 bytes each (reads that are multiples of
     * a word split the stream at word boundaries, as the device's buffers are). */
    struct entropy_source src = entropy_seeded_source(&b);
    for (size_t off = 0; off < sizeof(parts); off += 8) {
        size_t n = sizeof(parts) - off < 8 ? sizeof(parts) - off : 8;
        assert_int_equal(src.read(src.opaque, parts + off, n), (ssize_t)n);
    }
    assert_memory_equal(whole, parts, sizeof(whole));
    entropy_seeded_fill(&c, other, sizeof(other));
    assert_memory_not_equal(whole, other, sizeof(whole));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seeded_is_splitmix64),
        cmocka_unit_test(test_seeded_replays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

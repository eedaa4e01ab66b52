/* Goldfish RTC: host wall-clock time, guest-set offset, and the one-shot alarm. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "hw/goldfish_rtc.h"

#define TIME_LOW        0x00
#define TIME_HIGH       0x04
#define ALARM_LOW       0x08
#define ALARM_HIGH      0x0c
#define IRQ_ENABLED     0x10
#define CLEAR_ALARM     0x14
#define ALARM_STATUS    0x18
#define CLEAR_INTERRUPT 0x1c

#define NSEC 1000000000ULL

struct fixture {
    struct goldfish_rtc *rtc;
    struct mmio_region r;
    int irq_level;
};

static void fake_irq(void *opaque, int line, int level)
{
    struct fixture *f = opaque;
    assert_int_equal(line, 11);
    f->irq_level = level;
}

static int setup(void **state)
{
    static struct fixture f;
    f.irq_level = 0;
    f.rtc = goldfish_rtc_new((struct irq_line){.set = fake_irq, .opaque = &f, .line = 11});
    assert_non_null(f.rtc);
    f.r = goldfish_rtc_region(f.rtc, 0x101000);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    goldfish_rtc_free(f->rtc);
    return 0;
}

static uint32_t rd(struct fixture *f, unsigned off)
{
    return (uint32_t)f->r.read(f->r.opaque, off, 4);
}

static void wr(struct fixture *f, unsigned off, uint32_t v)
{
    f->r.write(f->r.opaque, off, v, 4);
}

/* As Linux's rtc-goldfish reads it: low first (latching high), then high. */
static uint64_t read_time(struct fixture *f)
{
    uint64_t lo = rd(f, TIME_LOW);
    uint64_t hi = rd(f, TIME_HIGH);
    return (hi << 32) | lo;
}

static uint64_t host_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_host_time(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(f->r.size, 0x1000);
    uint64_t before = host_now();
    uint64_t t = read_time(f);
    uint64_t after = host_now();
    assert_true(t >= before && t <= after);
    /* What `hwclock` and since_epoch show: whole seconds equal to the host's. */
    assert_true(t / NSEC >= before / NSEC && t / NSEC <= after / NSEC);
    sleep_ms(2);
    assert_true(read_time(f) >= t + 2000000);
}

static void test_high_is_latched(void **state)
{
    struct fixture *f = *state;
    rd(f, TIME_LOW);
    uint32_t hi1 = rd(f, TIME_HIGH);
    sleep_ms(1);
    /* Re-reading HIGH without LOW returns the same latched value. */
    assert_int_equal(rd(f, TIME_HIGH), hi1);
}

static void test_set_time(void **state)
{
    struct fixture *f = *state;
    /* Linux's set_time: HIGH then LOW. Set 2001-09-09 01:46:40 UTC. */
    uint64_t want = 1000000000ULL * NSEC;
    wr(f, TIME_HIGH, (uint32_t)(want >> 32));
    wr(f, TIME_LOW, (uint32_t)want);
    uint64_t got = read_time(f);
    assert_true(got >= want && got - want < NSEC / 10);
    sleep_ms(2);
    assert_true(read_time(f) >= want + 2000000);

    /* Setting it back to host time puts it back within the same window. */
    uint64_t host = host_now();
    wr(f, TIME_HIGH, (uint32_t)(host >> 32));
    wr(f, TIME_LOW, (uint32_t)host);
    got = read_time(f);
    assert_true(got >= host && got - host < NSEC / 10);
}

static void test_alarm(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(rd(f, ALARM_STATUS), 0);
    assert_int_equal(goldfish_rtc_next_alarm(f->rtc), UINT64_MAX);

    /* A far alarm is armed, reads back, and does not fire. */
    uint64_t far = read_time(f) + 3600 * NSEC;
    wr(f, ALARM_HIGH, (uint32_t)(far >> 32));
    wr(f, ALARM_LOW, (uint32_t)far);
    wr(f, IRQ_ENABLED, 1);
    assert_int_equal(rd(f, ALARM_STATUS), 1);
    assert_int_equal(rd(f, ALARM_LOW), (uint32_t)far);
    assert_int_equal(rd(f, ALARM_HIGH), (uint32_t)(far >> 32));
    assert_int_equal(rd(f, IRQ_ENABLED), 1);
    uint64_t next = goldfish_rtc_next_alarm(f->rtc);
    assert_true(next > host_now() + 3500 * NSEC);
    goldfish_rtc_poll(f->rtc);
    assert_int_equal(f->irq_level, 0);
    wr(f, CLEAR_ALARM, 1);
    assert_int_equal(rd(f, ALARM_STATUS), 0);

    /* A near alarm fires on the next poll after its time. */
    uint64_t near = read_time(f) + 1000000;
    wr(f, ALARM_HIGH, (uint32_t)(near >> 32));
    wr(f, ALARM_LOW, (uint32_t)near);
    assert_int_equal(f->irq_level, 0);
    sleep_ms(3);
    goldfish_rtc_poll(f->rtc);
    assert_int_equal(f->irq_level, 1);
    assert_int_equal(rd(f, ALARM_STATUS), 0);   /* one-shot */
    wr(f, CLEAR_INTERRUPT, 1);
    assert_int_equal(f->irq_level, 0);

    /* An alarm in the past fires at once, but only reaches the line when enabled. */
    wr(f, IRQ_ENABLED, 0);
    wr(f, ALARM_HIGH, 0);
    wr(f, ALARM_LOW, 1);
    assert_int_equal(f->irq_level, 0);
    wr(f, IRQ_ENABLED, 1);
    assert_int_equal(f->irq_level, 1);
    wr(f, CLEAR_INTERRUPT, 1);
    assert_int_equal(f->irq_level, 0);
}

static void test_bad_accesses(void **state)
{
    struct fixture *f = *state;
    uint64_t before = host_now();
    f->r.write(f->r.opaque, TIME_LOW, 0, 8);
    f->r.write(f->r.opaque, TIME_HIGH, 0, 1);
    f->r.write(f->r.opaque, TIME_LOW + 1, 0, 4);
    wr(f, 0x20, 0xffffffff);
    wr(f, 0xffc, 0xffffffff);
    assert_int_equal(rd(f, 0x20), 0);
    assert_int_equal(f->r.read(f->r.opaque, TIME_LOW, 8), 0);
    assert_int_equal(f->r.read(f->r.opaque, TIME_LOW, 2), 0);
    assert_true(read_time(f) >= before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_host_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_high_is_latched, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alarm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_accesses, setup, teardown),
    };
    return cmocka_run_group_tests_name("goldfish_rtc", tests, NULL, NULL);
}

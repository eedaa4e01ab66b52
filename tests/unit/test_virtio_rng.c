/*
 * virtio-rng through virtio-mmio with a deterministic entropy source: requests are filled
 * in place, capped, completed even when they are wrong, and the rate limiter makes
 * requests wait (served later from the event loop's timer) without dropping any.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/clock.h"
#include "core/event_loop.h"
#include "test_virtio_driver.h"
#include "virtio/rng.h"

#define Q0 (SIM_RAM_BASE + 0x1000)
#define OTHER_Q0 (SIM_RAM_BASE + 0x8000)
#define BUF (SIM_RAM_BASE + 0x20000)

/* Counts bytes: byte i of the stream is (uint8_t)(i + 1). */
struct counter_source {
    uint64_t pos;
    bool fail;
    size_t max_chunk;      /* 0 = any */
};

static ssize_t counter_read(void *opaque, void *buf, size_t len)
{
    struct counter_source *s = opaque;
    if (s->fail)
        return -EIO;
    if (s->max_chunk && len > s->max_chunk)
        len = s->max_chunk;
    for (size_t i = 0; i < len; i++)
        ((uint8_t *)buf)[i] = (uint8_t)(++s->pos);
    return (ssize_t)len;
}

#define virtio_device_of_test_inflight(f) (virtio_rng_device((f)->rng)->queues[0].inflight)

struct fix {
    struct sim_ram ram;
    struct event_loop loop;
    struct counter_source src, src2;
    struct virtio_rng *rng, *other;
    struct sim_drv d, od;
};

static void make_cfg(struct fix *f, const struct virtio_rng_config *cfg);

static void make(struct fix *f, uint64_t rate, uint64_t burst)
{
    struct virtio_rng_config cfg = {.rate = rate, .burst = burst};
    make_cfg(f, &cfg);
}

static void make_cfg(struct fix *f, const struct virtio_rng_config *cfg)
{
    f->rng = virtio_rng_new(&f->ram.mem, (struct entropy_source){counter_read, &f->src}, cfg,
                            &f->loop);
    assert_non_null(f->rng);
    f->other = virtio_rng_new(&f->ram.mem, (struct entropy_source){counter_read, &f->src2},
                              NULL, NULL);
    assert_non_null(f->other);
    sim_attach(&f->d, &f->ram, virtio_rng_device(f->rng));
    sim_attach(&f->od, &f->ram, virtio_rng_device(f->other));
    uint64_t feat = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_INDIRECT_DESC);
    assert_true(sim_negotiate(&f->d, feat));
    assert_int_equal(sim_queue_setup(&f->d, 0, 64, Q0), 1);
    assert_true(sim_driver_ok(&f->d));
    assert_true(sim_negotiate(&f->od, feat));
    assert_int_equal(sim_queue_setup(&f->od, 0, 16, OTHER_Q0), 1);
    assert_true(sim_driver_ok(&f->od));
}

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof(*f));
    sim_ram_init(&f->ram);
    event_loop_init(&f->loop);
    *state = f;
    return 0;
}

static int setup_plain(void **state)
{
    setup(state);
    make(*state, 0, 0);
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    virtio_mmio_free(f->d.t);
    virtio_mmio_free(f->od.t);
    virtio_rng_free(f->rng);
    virtio_rng_free(f->other);
    assert_int_equal(f->loop.timer_count, 0);
    sim_ram_free(&f->ram);
    free(f);
    return 0;
}

static void request(struct sim_drv *d, uint16_t head, uint64_t gpa, uint32_t len)
{
    sim_set_desc(d, 0, head, gpa, len, VIRTQ_DESC_F_WRITE, 0);
    sim_post(d, 0, head);
    sim_notify(d, 0);
}

static void assert_other_serves(struct fix *f)
{
    uint64_t before = f->src2.pos;
    request(&f->od, 3, BUF + 0x80000, 32);
    uint32_t id, len;
    assert_true(sim_reap(&f->od, 0, &id, &len));
    assert_int_equal(id, 3);
    assert_int_equal(len, 32);
    assert_int_equal(f->src2.pos, before + 32);
}

static void test_fills_buffer(void **state)
{
    struct fix *f = *state;
    request(&f->d, 0, BUF, 64);
    uint32_t id, len;
    assert_true(sim_reap(&f->d, 0, &id, &len));
    assert_int_equal(id, 0);
    assert_int_equal(len, 64);
    uint8_t *p = sim_host(&f->ram, BUF);
    for (int i = 0; i < 64; i++)
        assert_int_equal(p[i], (uint8_t)(i + 1));
    assert_int_equal(f->d.irq_level, 1);
    assert_int_equal(sim_ack(&f->d), VIRTIO_INT_USED);
    /* The filled range was reported (for the CPU's decoded-code cache). */
    assert_int_equal(f->ram.dirty_bytes, 64);
    assert_int_equal(f->ram.dirty_lo, BUF);
    assert_int_equal(virtio_rng_bytes_served(f->rng), 64);
    /* Two requests give different bytes. */
    request(&f->d, 1, BUF + 64, 64);
    assert_true(sim_reap(&f->d, 0, &id, &len));
    assert_memory_not_equal(sim_host(&f->ram, BUF), sim_host(&f->ram, BUF + 64), 64);
}

static void test_device_id(void **state)
{
    struct fix *f = *state;
    assert_int_equal(sim_rd(&f->d, VIRTIO_MMIO_DEVICE_ID), 4);
    sim_wr(&f->d, VIRTIO_MMIO_QUEUE_SEL, 0);
    assert_int_equal(sim_rd(&f->d, VIRTIO_MMIO_QUEUE_NUM_MAX), 256);
    sim_wr(&f->d, VIRTIO_MMIO_QUEUE_SEL, 1);
    assert_int_equal(sim_rd(&f->d, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
}

static void test_scatter_and_short_source(void **state)
{
    struct fix *f = *state;
    f->src.max_chunk = 7;   /* the backend returns little at a time: the device loops */
    sim_set_desc(&f->d, 0, 0, BUF, 10, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    sim_set_desc(&f->d, 0, 1, BUF + 100, 20, VIRTQ_DESC_F_WRITE, 0);
    sim_post(&f->d, 0, 0);
    sim_notify(&f->d, 0);
    uint32_t id, len;
    assert_true(sim_reap(&f->d, 0, &id, &len));
    assert_int_equal(len, 30);
    assert_int_equal(((uint8_t *)sim_host(&f->ram, BUF))[9], 10);
    assert_int_equal(((uint8_t *)sim_host(&f->ram, BUF + 100))[0], 11);
    assert_int_equal(((uint8_t *)sim_host(&f->ram, BUF + 100))[19], 30);
}

static void test_request_capped(void **state)
{
    struct fix *f = *state;
    request(&f->d, 0, SIM_RAM_BASE + 0x40000, 100 * 1024);
    uint32_t id, len;
    assert_true(sim_reap(&f->d, 0, &id, &len));
    assert_int_equal(len, VIRTIO_RNG_MAX_REQUEST);
    assert_int_equal(f->src.pos, VIRTIO_RNG_MAX_REQUEST);
}

static void test_readable_buffer_fails_request(void **state)
{
    struct fix *f = *state;
    sim_set_desc(&f->d, 0, 0, BUF, 16, 0, 0);
    sim_post(&f->d, 0, 0);
    struct sim_capture c;
    sim_capture_start(&c);
    sim_notify(&f->d, 0);
    char *log = sim_capture_end(&c);
    assert_non_null(strstr(log, "driver-readable"));
    free(log);
    uint32_t id, len;
    assert_true(sim_reap(&f->d, 0, &id, &len));
    assert_int_equal(len, 0);
    assert_int_equal(f->src.pos, 0);
    request(&f->d, 1, BUF, 16);
    assert_true(sim_reap(&f->d, 0, &id, &len));
    assert_int_equal(len, 16);
    assert_other_serves(f);
}

static void test_source_failure_completes(void **state)
{
    struct fix *f = *state;
    f->src.fail = true;
    request(&f->d, 0, BUF, 16);
    uint32_t id, len;
    assert_true(sim_reap(&f->d, 0, &id, &len));
    assert_int_equal(len, 0);
    f->src.fail = false;
    request(&f->d, 1, BUF, 16);
    assert_true(sim_reap(&f->d, 0, &id, &len));
    assert_int_equal(len, 16);
}

static void test_hostile_chain_then_other_device(void **state)
{
    struct fix *f = *state;
    /* A descriptor loop and a buffer outside RAM: both fail, nothing hangs. */
    sim_set_desc(&f->d, 0, 0, BUF, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0);
    sim_post(&f->d, 0, 0);
    sim_set_desc(&f->d, 0, 1, 0x1000, 16, VIRTQ_DESC_F_WRITE, 0);
    sim_post(&f->d, 0, 1);
    sim_notify(&f->d, 0);
    uint32_t id, len;
    assert_true(sim_reap(&f->d, 0, &id, &len));
    assert_int_equal(len, 0);
    assert_true(sim_reap(&f->d, 0, &id, &len));
    assert_int_equal(len, 0);
    assert_int_equal(f->d.irq_level, 1);     /* the driver is told */
    assert_other_serves(f);
    /* Then a broken ring: NEEDS_RESET on this device only. */
    sim_post(&f->d, 0, 200);
    sim_notify(&f->d, 0);
    assert_true(sim_rd(&f->d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
    assert_other_serves(f);
}

static void test_many_requests_all_completed(void **state)
{
    struct fix *f = *state;
    for (unsigned round = 0; round < 10; round++) {
        for (uint16_t i = 0; i < 64; i++) {
            sim_set_desc(&f->d, 0, i, BUF + 64 * i, 1 + i, VIRTQ_DESC_F_WRITE, 0);
            sim_post(&f->d, 0, i);
        }
        sim_notify(&f->d, 0);
        uint32_t id, len;
        for (uint16_t i = 0; i < 64; i++) {
            assert_true(sim_reap(&f->d, 0, &id, &len));
            assert_int_equal(id, i);
            assert_int_equal(len, 1 + i);
        }
        assert_false(sim_reap(&f->d, 0, &id, &len));
    }
    assert_int_equal(virtio_device_of_test_inflight(f), 0);
}

/* ---- rate limit ---- */

static void test_rate_limit_waits_then_serves(void **state)
{
    struct fix *f = *state;
    make(f, 10000, 100);      /* 10 kB/s, 100-byte bucket */
    request(&f->d, 0, BUF, 200);
    uint32_t id, len;
    assert_true(sim_reap(&f->d, 0, &id, &len));
    /* Whole, though larger than the bucket: the 100 bytes beyond it are owed. */
    assert_int_equal(len, 200);
    uint64_t t0 = clock_host_ns();
    request(&f->d, 1, BUF + 256, 200);
    assert_false(sim_reap(&f->d, 0, &id, &len));    /* waits: not dropped */
    /* Notifying again does not spin or serve early. */
    sim_notify(&f->d, 0);
    assert_false(sim_reap(&f->d, 0, &id, &len));
    /* The event loop sleeps until the timer is due, then the request is served. */
    int polls = 0;
    while (!sim_reap(&f->d, 0, &id, &len)) {
        assert_true(++polls < 100);
        event_loop_poll(&f->loop, 1000000000ULL);
    }
    uint64_t waited = clock_host_ns() - t0;
    assert_int_equal(id, 1);
    assert_int_equal(len, 200);
    /* The debt (10 ms) and then a full bucket (10 ms): 20 ms after the first take. */
    assert_true(waited >= 15000000ULL);
    assert_true(polls <= 3);                /* slept, did not busy-poll */
    assert_other_serves(f);                 /* the bystander has no limit */
}

static void test_rate_limit_rate_holds(void **state)
{
    struct fix *f = *state;
    make(f, 20000, 500);      /* 20 kB/s */
    uint64_t t0 = clock_host_ns();
    uint64_t got = 0;
    uint16_t head = 0;
    uint32_t id, len;
    request(&f->d, head, BUF, 1000);
    while (got < 4500) {
        event_loop_poll(&f->loop, 1000000000ULL);
        while (sim_reap(&f->d, 0, &id, &len)) {
            got += len;
            head = (uint16_t)((head + 1) % 64);
            request(&f->d, head, BUF, 1000);
        }
        assert_true(clock_host_ns() - t0 < 60000000000ULL); /* a hang, not slowness */
    }
    /* 4500 bytes - a 500-byte burst = 4000 bytes at 20 kB/s: at least 200 ms. Only the
     * lower bound is the limiter's promise; a loaded host may take longer. */
    uint64_t ms = (clock_host_ns() - t0) / 1000000;
    assert_true(ms >= 190);
}

/*
 * The buffer bookkeeping of Linux's virtio-rng driver as Debian's 6.12.117 runs it (the
 * guest of the guest tests): one 64-byte request posted at a time; its completion sets
 * `avail` to the used length; a read copies at most avail - idx (the driver's bounds check;
 * avail counts bytes left, idx bytes taken), drops what is left and posts the next request
 * when idx >= avail, posts it when avail reaches 0, and a blocking read that is still
 * short waits for the next completion. Waiting with no request posted is the guest's hang.
 */
#define LX_BUF 64

struct lx_rng {
    struct fix *f;
    uint32_t avail, idx;
    bool posted;        /* a request is with the device */
    bool done;          /* the completion a wait would consume */
    uint16_t head;
    unsigned completions, short_completions;
};

static void lx_interrupt(struct lx_rng *l)
{
    uint32_t id, len;
    if (!sim_reap(&l->f->d, 0, &id, &len))
        return;
    assert_int_equal(id, l->head);
    l->posted = false;
    l->avail = len;
    l->done = true;
    l->completions++;
    if (len != LX_BUF)
        l->short_completions++;
}

static void lx_request(struct lx_rng *l)
{
    assert_false(l->posted);
    l->done = false;
    l->idx = 0;
    l->head = (uint16_t)((l->head + 1) % 64);
    l->posted = true;
    request(&l->f->d, l->head, BUF, LX_BUF);
    lx_interrupt(l);        /* served at once: the interrupt comes right after the kick */
}

static uint32_t lx_copy(struct lx_rng *l, uint32_t size)
{
    uint32_t have = l->avail < LX_BUF ? l->avail : LX_BUF;
    if (l->idx >= have) {
        l->avail = 0;
        lx_request(l);
        return 0;
    }
    if (size > have - l->idx)
        size = have - l->idx;
    l->idx += size;
    l->avail -= size;
    if (l->avail == 0)
        lx_request(l);
    return size;
}

/* One blocking read of `size` bytes; false if the driver would wait forever. */
static bool lx_read(struct lx_rng *l, uint32_t size, uint32_t *got)
{
    *got = 0;
    if (l->avail) {
        uint32_t c = lx_copy(l, size);
        size -= c;
        *got += c;
    }
    while (size) {
        if (!l->done) {
            if (!l->posted)
                return false;
            int polls = 0;
            while (!l->done) {
                assert_true(++polls < 1000);    /* the device must serve a posted request */
                event_loop_poll(&l->f->loop, 1000000000ULL);
                lx_interrupt(l);
            }
        }
        l->done = false;
        if (l->avail == 0)
            return true;
        uint32_t c = lx_copy(l, size);
        size -= c;
        *got += c;
    }
    return true;
}

/* /dev/hwrng read through the model with the device limited by rate and burst. */
static void lx_read_hwrng(struct fix *f, uint64_t rate, uint64_t burst, unsigned reads)
{
    make(f, rate, burst);
    struct lx_rng l = {.f = f};
    lx_request(&l);         /* the driver always keeps one request posted */
    for (unsigned i = 0; i < reads; i++) {
        uint32_t got;
        if (!lx_read(&l, LX_BUF, &got))
            fail_msg("read %u: the driver waits with no request posted (avail %u idx %u, "
                     "%u of %u completions short)", i, l.avail, l.idx, l.short_completions,
                     l.completions);
    }
    assert_int_equal(l.short_completions, 0);
    assert_true(l.completions >= reads);
}

/* A bucket smaller than the driver's buffer: each request is still filled whole. */
static void test_linux_driver_bucket_below_buffer(void **state)
{
    lx_read_hwrng(*state, 64000, 48, 24);
}

/* A bucket that holds a few buffers, refilling between reads: never a short fill. */
static void test_linux_driver_bucket_above_buffer(void **state)
{
    lx_read_hwrng(*state, 64000, 100, 24);
}

static void test_reset_while_waiting(void **state)
{
    struct fix *f = *state;
    make(f, 1000, 10);
    request(&f->d, 0, BUF, 10);
    request(&f->d, 1, BUF, 10);    /* waits for tokens */
    uint32_t id, len;
    assert_true(sim_reap(&f->d, 0, &id, &len));
    assert_false(sim_reap(&f->d, 0, &id, &len));
    sim_wr(&f->d, VIRTIO_MMIO_STATUS, 0);
    assert_int_equal(virtio_device_of_test_inflight(f), 0);
    /* The timer was disarmed: polling does nothing to the reset queue. */
    event_loop_poll(&f->loop, 20000000ULL);
    assert_int_equal(sim_used_idx(&f->d, 0), 1);
    /* Set up again: served (tokens have accrued meanwhile). */
    memset(sim_host(&f->ram, Q0), 0, 0x2000);
    f->d.q[0] = (struct sim_queue){0};
    assert_true(sim_negotiate(&f->d, 1ULL << VIRTIO_F_VERSION_1));
    assert_int_equal(sim_queue_setup(&f->d, 0, 64, Q0), 1);
    assert_true(sim_driver_ok(&f->d));
    request(&f->d, 0, BUF, 5);
    int polls = 0;
    while (!sim_reap(&f->d, 0, &id, &len)) {
        assert_true(++polls < 50);
        event_loop_poll(&f->loop, 100000000ULL);
    }
    assert_true(len >= 1);
}

/*
 * --icount: the bucket fills on guest time. The timer never makes the loop wait; it is
 * the run loop's guest deadline, and a look at the loop once guest time reached it serves.
 * (Last: it switches the process's clock to instruction counting.)
 */
static uint64_t fake_insns;

static uint64_t read_insns(void *opaque)
{
    return *(uint64_t *)opaque;
}

static void test_rate_limit_on_guest_time(void **state)
{
    struct fix *f = *state;
    assert_int_equal(clock_icount_enable(0), 0);     /* 1 ns per instruction */
    clock_icount_attach(read_insns, &fake_insns);
    clock_mtime_reset();
    struct virtio_rng_config cfg = {.rate = 1000, .burst = 10, .guest_time = true};
    make_cfg(f, &cfg);
    assert_int_equal(event_loop_guest_deadline(&f->loop), UINT64_MAX);
    request(&f->d, 0, BUF, 10);
    request(&f->d, 1, BUF + 64, 10);   /* the bucket is empty: waits 10 ms of guest time */
    uint32_t id, len;
    assert_true(sim_reap(&f->d, 0, &id, &len));
    assert_int_equal(id, 0);
    uint64_t due = event_loop_guest_deadline(&f->loop);
    assert_int_equal(due, 10000000ULL);
    /* Host time passing changes nothing; neither does guest time short of the deadline. */
    event_loop_poll(&f->loop, 20000000ULL);
    fake_insns += due - 1;
    event_loop_poll(&f->loop, 0);
    assert_false(sim_reap(&f->d, 0, &id, &len));
    fake_insns += 1;
    event_loop_poll(&f->loop, 0);
    assert_true(sim_reap(&f->d, 0, &id, &len));
    assert_int_equal(id, 1);
    assert_int_equal(len, 10);
    assert_int_equal(event_loop_guest_deadline(&f->loop), UINT64_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_plain, teardown)
#define R(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_fills_buffer),
        T(test_device_id),
        T(test_scatter_and_short_source),
        T(test_request_capped),
        T(test_readable_buffer_fails_request),
        T(test_source_failure_completes),
        T(test_hostile_chain_then_other_device),
        T(test_many_requests_all_completed),
        R(test_rate_limit_waits_then_serves),
        R(test_rate_limit_rate_holds),
        R(test_reset_while_waiting),
        R(test_linux_driver_bucket_below_buffer),
        R(test_linux_driver_bucket_above_buffer),
        R(test_rate_limit_on_guest_time),
#undef T
#undef R
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

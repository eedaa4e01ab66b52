/*
 * The event loop's poll hooks (what libslirp runs on): a hook's fds are polled together
 * with the sources, its revents come back by index, it may shorten the wait, and it runs on
 * every pass, fd ready or not.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/clock.h"
#include "core/event_loop.h"

struct hook_state {
    int fds[4];
    unsigned nfds;
    short want;
    int idx[4];
    short got[4];
    uint64_t shorten_to;    /* 0 = leave the timeout alone */
    unsigned prepares, dispatches;
    bool failed;
};

static void prepare(void *opaque, struct event_loop *loop, uint64_t *timeout_ns)
{
    struct hook_state *h = opaque;
    h->prepares++;
    for (unsigned i = 0; i < h->nfds; i++)
        h->idx[i] = event_loop_hook_fd(loop, h->fds[i], h->want);
    if (h->shorten_to && h->shorten_to < *timeout_ns)
        *timeout_ns = h->shorten_to;
}

static void dispatch(void *opaque, struct event_loop *loop, bool poll_failed)
{
    struct hook_state *h = opaque;
    h->dispatches++;
    h->failed = poll_failed;
    for (unsigned i = 0; i < h->nfds; i++)
        h->got[i] = event_loop_hook_revents(loop, h->idx[i]);
}

struct src_state {
    unsigned ready;
};

static void src_ready(void *opaque, short revents)
{
    ((struct src_state *)opaque)->ready++;
}

static void test_hook_fds_polled_with_sources(void **state)
{
    struct event_loop loop;
    event_loop_init(&loop);
    int a[2], b[2];
    assert_int_equal(pipe(a), 0);
    assert_int_equal(pipe(b), 0);
    struct src_state ss = {0};
    struct event_source src = {.fd = a[0], .opaque = &ss, .ready = src_ready};
    assert_int_equal(event_loop_add(&loop, &src), 0);
    struct hook_state hs = {.fds = {b[0], a[0]}, .nfds = 2, .want = POLLIN};
    struct event_poll_hook hook = {.opaque = &hs, .prepare = prepare, .dispatch = dispatch};
    assert_int_equal(event_loop_add_hook(&loop, &hook), 0);

    /* Nothing ready: the hook still runs (its library's timers must advance). */
    event_loop_poll(&loop, 0);
    assert_int_equal(hs.prepares, 1);
    assert_int_equal(hs.dispatches, 1);
    assert_int_equal(hs.got[0], 0);
    assert_int_equal(ss.ready, 0);

    assert_int_equal(write(b[1], "x", 1), 1);
    event_loop_poll(&loop, 0);
    assert_true(hs.got[0] & POLLIN);
    assert_int_equal(hs.got[1], 0);
    assert_int_equal(ss.ready, 0);
    /* The index is where the hook's fd sits after the sources' fds. */
    assert_int_equal(hs.idx[0], 1);

    assert_int_equal(write(a[1], "y", 1), 1);
    event_loop_poll(&loop, 0);
    assert_int_equal(ss.ready, 1);
    assert_true(hs.got[1] & POLLIN);

    event_loop_remove_hook(&loop, &hook);
    event_loop_poll(&loop, 0);
    assert_int_equal(hs.dispatches, 3);
    for (int i = 0; i < 2; i++) {
        close(a[i]);
        close(b[i]);
    }
}

static void test_hook_shortens_the_wait(void **state)
{
    struct event_loop loop;
    event_loop_init(&loop);
    struct hook_state hs = {.shorten_to = 20000000ULL};    /* 20 ms */
    struct event_poll_hook hook = {.opaque = &hs, .prepare = prepare, .dispatch = dispatch};
    assert_int_equal(event_loop_add_hook(&loop, &hook), 0);
    uint64_t t0 = clock_host_ns();
    /* Without the hook this would wait forever (no fds, no timers). */
    event_loop_poll(&loop, UINT64_MAX);
    assert_true(clock_host_ns() - t0 >= 20000000ULL);
    assert_int_equal(hs.dispatches, 1);
}

static void test_hook_table_full(void **state)
{
    struct event_loop loop;
    event_loop_init(&loop);
    int p[2];
    assert_int_equal(pipe(p), 0);
    unsigned ok = 0;
    int last = 0;
    for (unsigned i = 0; i < EVENT_LOOP_MAX_POLLFDS + 5; i++) {
        last = event_loop_hook_fd(&loop, p[0], POLLIN);
        if (last >= 0)
            ok++;
    }
    assert_int_equal(ok, EVENT_LOOP_MAX_POLLFDS);
    assert_int_equal(last, -1);
    /* -1 and out-of-range indices read as "nothing happened". */
    assert_int_equal(event_loop_hook_revents(&loop, -1), 0);
    assert_int_equal(event_loop_hook_revents(&loop, EVENT_LOOP_MAX_POLLFDS), 0);
    assert_int_equal(event_loop_hook_fd(&loop, -3, POLLIN), -1);
    close(p[0]);
    close(p[1]);
}

static void test_hook_limit(void **state)
{
    struct event_loop loop;
    event_loop_init(&loop);
    struct hook_state hs = {0};
    struct event_poll_hook hooks[EVENT_LOOP_MAX_HOOKS + 1];
    for (unsigned i = 0; i <= EVENT_LOOP_MAX_HOOKS; i++) {
        hooks[i] = (struct event_poll_hook){.opaque = &hs, .prepare = prepare,
                                            .dispatch = dispatch};
        int r = event_loop_add_hook(&loop, &hooks[i]);
        assert_int_equal(r, i < EVENT_LOOP_MAX_HOOKS ? 0 : -ENOSPC);
    }
    event_loop_poll(&loop, 0);
    assert_int_equal(hs.dispatches, EVENT_LOOP_MAX_HOOKS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hook_fds_polled_with_sources),
        cmocka_unit_test(test_hook_shortens_the_wait),
        cmocka_unit_test(test_hook_table_full),
        cmocka_unit_test(test_hook_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

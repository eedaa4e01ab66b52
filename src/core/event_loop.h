/*
 * The machine's single event loop: file descriptors polled between CPU slices, and a sleep
 * with a deadline when the guest idles in wfi. One thread, no locks.
 */
#ifndef KITE_CORE_EVENT_LOOP_H
#define KITE_CORE_EVENT_LOOP_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#define EVENT_LOOP_MAX_SOURCES 32

struct event_loop;

struct event_source {
    int fd;
    void *opaque;
    /* poll events wanted right now (0 = skip this fd), e.g. POLLIN only while a device can
     * take input: this is how back-pressure reaches the host side. */
    short (*events)(void *opaque);
    void (*ready)(void *opaque, short revents);
};

/*
 * A deadline callback (e.g. a rate limiter waiting for tokens). The owner keeps the struct
 * alive while it is added; deadline_ns is on clock_host_ns(), 0 = disarmed. A timer is
 * disarmed before fire() runs; fire() may re-arm it.
 *
 * A guest_time timer (--icount) is on clock_icount_ns() instead. Guest time moves only as
 * the guest runs, so such a timer never makes the loop wait: the run loop ends its slices
 * and its idle skips at event_loop_guest_deadline(), and the poll after fires it.
 */
struct event_timer {
    uint64_t deadline_ns;
    void (*fire)(void *opaque);
    void *opaque;
    bool guest_time;
};

#define EVENT_LOOP_MAX_TIMERS 16

/*
 * A poll hook, for a library that keeps its own changing set of fds and timeouts (libslirp):
 * before each poll, prepare() adds its fds with event_loop_hook_fd() and may shorten the
 * timeout; after it, dispatch() reads their revents with event_loop_hook_revents(). Both
 * run on every pass, whether or not an fd was ready, so the library's timers advance.
 */
struct event_poll_hook {
    void *opaque;
    void (*prepare)(void *opaque, struct event_loop *loop, uint64_t *timeout_ns);
    void (*dispatch)(void *opaque, struct event_loop *loop, bool poll_failed);
};

#define EVENT_LOOP_MAX_HOOKS 8
/* Sources and hook fds together in one poll. */
#define EVENT_LOOP_MAX_POLLFDS 512

struct event_loop {
    struct event_source sources[EVENT_LOOP_MAX_SOURCES];
    int count;
    struct event_timer *timers[EVENT_LOOP_MAX_TIMERS];
    int timer_count;
    struct event_poll_hook *hooks[EVENT_LOOP_MAX_HOOKS];
    int hook_count;
    struct pollfd pfds[EVENT_LOOP_MAX_POLLFDS];
    int npfds;
};

void event_loop_init(struct event_loop *loop);
int event_loop_add(struct event_loop *loop, const struct event_source *src);
void event_loop_remove(struct event_loop *loop, int fd);
int event_loop_add_timer(struct event_loop *loop, struct event_timer *timer);
void event_loop_remove_timer(struct event_loop *loop, struct event_timer *timer);
int event_loop_add_hook(struct event_loop *loop, struct event_poll_hook *hook);
void event_loop_remove_hook(struct event_loop *loop, struct event_poll_hook *hook);
/* From prepare(): polls fd for events in this pass. Returns its index, or -1 when the
 * table is full (the fd is then just not polled this pass). */
int event_loop_hook_fd(struct event_loop *loop, int fd, short events);
/* From dispatch(): what the poll saw for an index event_loop_hook_fd returned (0 for -1). */
short event_loop_hook_revents(const struct event_loop *loop, int idx);
static inline void event_timer_arm(struct event_timer *t, uint64_t deadline_ns)
{
    t->deadline_ns = deadline_ns ? deadline_ns : 1;
}
static inline void event_timer_disarm(struct event_timer *t)
{
    t->deadline_ns = 0;
}
/* The earliest armed guest_time timer's deadline (UINT64_MAX: none). */
uint64_t event_loop_guest_deadline(const struct event_loop *loop);
/* Waits up to timeout_ns (0 = just look, UINT64_MAX = until an fd is ready; shortened to
 * the earliest armed timer), dispatches ready fds, then fires the timers that are due. */
void event_loop_poll(struct event_loop *loop, uint64_t timeout_ns);

#endif

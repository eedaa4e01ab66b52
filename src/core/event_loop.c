#define _GNU_SOURCE
#include "core/event_loop.h"

#include "core/clock.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

void event_loop_init(struct event_loop *loop)
{
    memset(loop, 0, sizeof(*loop));
}

int event_loop_add(struct event_loop *loop, const struct event_source *src)
{
    if (loop->count >= EVENT_LOOP_MAX_SOURCES)
        return -ENOSPC;
    loop->sources[loop->count++] = *src;
    return 0;
}

void event_loop_remove(struct event_loop *loop, int fd)
{
    for (int i = 0; i < loop->count; i++) {
        if (loop->sources[i].fd == fd) {
            loop->sources[i] = loop->sources[--loop->count];
            return;
        }
    }
}

int event_loop_add_timer(struct event_loop *loop, struct event_timer *timer)
{
    if (loop->timer_count >= EVENT_LOOP_MAX_TIMERS)
        return -ENOSPC;
    loop->timers[loop->timer_count++] = timer;
    return 0;
}

void event_loop_remove_timer(struct event_loop *loop, struct event_timer *timer)
{
    for (int i = 0; i < loop->timer_count; i++) {
        if (loop->timers[i] == timer) {
            loop->timers[i] = loop->timers[--loop->timer_count];
            return;
        }
    }
}

static void fire_timers(struct event_loop *loop)
{
    uint64_t now = clock_host_ns();
    /* A callback may remove timers: walk by index and re-check the bound each time. */
    for (int i = 0; i < loop->timer_count; i++) {
        struct event_timer *t = loop->timers[i];
        if (t->deadline_ns && t->deadline_ns <= now) {
            t->deadline_ns = 0;
            t->fire(t->opaque);
        }
    }
}

void event_loop_poll(struct event_loop *loop, uint64_t timeout_ns)
{
    if (loop->timer_count) {
        uint64_t now = clock_host_ns();
        for (int i = 0; i < loop->timer_count; i++) {
            uint64_t d = loop->timers[i]->deadline_ns;
            if (d) {
                uint64_t wait = d > now ? d - now : 0;
                if (wait < timeout_ns)
                    timeout_ns = wait;
            }
        }
    }
    struct pollfd fds[EVENT_LOOP_MAX_SOURCES];
    int owner[EVENT_LOOP_MAX_SOURCES];
    int n = 0;
    for (int i = 0; i < loop->count; i++) {
        struct event_source *s = &loop->sources[i];
        short ev = s->events ? s->events(s->opaque) : POLLIN;
        if (!ev)
            continue;
        fds[n] = (struct pollfd){.fd = s->fd, .events = ev};
        owner[n++] = i;
    }
    struct timespec ts, *tsp = NULL;
    if (timeout_ns != UINT64_MAX) {
        ts.tv_sec = (time_t)(timeout_ns / 1000000000ULL);
        ts.tv_nsec = (long)(timeout_ns % 1000000000ULL);
        tsp = &ts;
    }
    int r = ppoll(fds, (nfds_t)n, tsp, NULL);
    if (r <= 0) {
        fire_timers(loop);
        return;
    }
    /* Sources may be removed by a callback: dispatch by fd, re-checking the table. */
    for (int j = 0; j < n; j++) {
        if (!fds[j].revents)
            continue;
        int i = owner[j];
        if (i < loop->count && loop->sources[i].fd == fds[j].fd)
            loop->sources[i].ready(loop->sources[i].opaque, fds[j].revents);
    }
    fire_timers(loop);
}

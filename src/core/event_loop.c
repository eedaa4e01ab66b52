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

int event_loop_add_hook(struct event_loop *loop, struct event_poll_hook *hook)
{
    if (loop->hook_count >= EVENT_LOOP_MAX_HOOKS)
        return -ENOSPC;
    loop->hooks[loop->hook_count++] = hook;
    return 0;
}

void event_loop_remove_hook(struct event_loop *loop, struct event_poll_hook *hook)
{
    for (int i = 0; i < loop->hook_count; i++) {
        if (loop->hooks[i] == hook) {
            loop->hooks[i] = loop->hooks[--loop->hook_count];
            return;
        }
    }
}

int event_loop_hook_fd(struct event_loop *loop, int fd, short events)
{
    if (loop->npfds >= EVENT_LOOP_MAX_POLLFDS || fd < 0)
        return -1;
    loop->pfds[loop->npfds] = (struct pollfd){.fd = fd, .events = events};
    return loop->npfds++;
}

short event_loop_hook_revents(const struct event_loop *loop, int idx)
{
    if (idx < 0 || idx >= loop->npfds)
        return 0;
    return loop->pfds[idx].revents;
}

uint64_t event_loop_guest_deadline(const struct event_loop *loop)
{
    uint64_t d = UINT64_MAX;
    for (int i = 0; i < loop->timer_count; i++) {
        const struct event_timer *t = loop->timers[i];
        if (t->guest_time && t->deadline_ns && t->deadline_ns < d)
            d = t->deadline_ns;
    }
    return d;
}

static void fire_timers(struct event_loop *loop)
{
    uint64_t host_now = clock_host_ns(), guest_now = clock_icount_ns();
    /* A callback may remove timers: walk by index and re-check the bound each time. */
    for (int i = 0; i < loop->timer_count; i++) {
        struct event_timer *t = loop->timers[i];
        uint64_t now = t->guest_time ? guest_now : host_now;
        if (t->deadline_ns && t->deadline_ns <= now) {
            t->deadline_ns = 0;
            t->fire(t->opaque);
        }
    }
}

void event_loop_poll(struct event_loop *loop, uint64_t timeout_ns)
{
    struct pollfd *fds = loop->pfds;
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
    loop->npfds = n;
    /* A hook removed by another hook's callback is gone: re-check the bound each time. */
    for (int h = 0; h < loop->hook_count; h++)
        loop->hooks[h]->prepare(loop->hooks[h]->opaque, loop, &timeout_ns);
    if (loop->timer_count) {
        uint64_t now = clock_host_ns();
        for (int i = 0; i < loop->timer_count; i++) {
            uint64_t d = loop->timers[i]->deadline_ns;
            if (d && !loop->timers[i]->guest_time) {
                uint64_t wait = d > now ? d - now : 0;
                if (wait < timeout_ns)
                    timeout_ns = wait;
            }
        }
    }
    struct timespec ts, *tsp = NULL;
    if (timeout_ns != UINT64_MAX) {
        ts.tv_sec = (time_t)(timeout_ns / 1000000000ULL);
        ts.tv_nsec = (long)(timeout_ns % 1000000000ULL);
        tsp = &ts;
    }
    int total = loop->npfds;
    int r = ppoll(fds, (nfds_t)total, tsp, NULL);
    if (r < 0)
        for (int j = 0; j < total; j++)
            fds[j].revents = 0;
    /* Sources may be removed by a callback: dispatch by fd, re-checking the table. */
    for (int j = 0; r > 0 && j < n; j++) {
        if (!fds[j].revents)
            continue;
        int i = owner[j];
        if (i < loop->count && loop->sources[i].fd == fds[j].fd)
            loop->sources[i].ready(loop->sources[i].opaque, fds[j].revents);
    }
    for (int h = 0; h < loop->hook_count; h++)
        loop->hooks[h]->dispatch(loop->hooks[h]->opaque, loop, r < 0);
    fire_timers(loop);
}

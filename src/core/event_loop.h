/*
 * The machine's single event loop: file descriptors polled between CPU slices, and a sleep
 * with a deadline when the guest idles in wfi. One thread, no locks.
 */
#ifndef KITE_CORE_EVENT_LOOP_H
#define KITE_CORE_EVENT_LOOP_H

#include <stdint.h>

#define EVENT_LOOP_MAX_SOURCES 32

struct event_source {
    int fd;
    void *opaque;
    /* poll events wanted right now (0 = skip this fd), e.g. POLLIN only while a device can
     * take input: this is how back-pressure reaches the host side. */
    short (*events)(void *opaque);
    void (*ready)(void *opaque, short revents);
};

struct event_loop {
    struct event_source sources[EVENT_LOOP_MAX_SOURCES];
    int count;
};

void event_loop_init(struct event_loop *loop);
int event_loop_add(struct event_loop *loop, const struct event_source *src);
void event_loop_remove(struct event_loop *loop, int fd);
/* Waits up to timeout_ns (0 = just look, UINT64_MAX = until an fd is ready) and dispatches. */
void event_loop_poll(struct event_loop *loop, uint64_t timeout_ns);

#endif

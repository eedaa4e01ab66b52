/*
 * Character devices. A frontend (UART, virtio-console port) is what the guest talks to; a
 * backend (stdio, pty, unix socket) is where the bytes go on the host.
 *
 * Output (guest -> host) must never lose bytes: the backend buffers or blocks.
 * Input (host -> guest) is pulled: the backend offers bytes only while the frontend says it
 * can take them, so typed input is never dropped and a guest that stops reading gets
 * back-pressure instead of lost keystrokes.
 */
#ifndef KITE_CORE_CHARDEV_H
#define KITE_CORE_CHARDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct char_backend {
    void *opaque;
    /* Takes len bytes (len <= write_room() when write_room is set; else it may block). */
    void (*write)(void *opaque, const uint8_t *buf, size_t len);
    /*
     * Optional, for backends that must not block the machine (pty, socket): how many bytes
     * write() takes now; 0 while the peer is slow or absent. The frontend keeps the rest
     * and is told through char_frontend.wakeup when there is room again.
     */
    size_t (*write_room)(void *opaque);
    /* Optional: whether someone is on the host end (a socket client); NULL = always. */
    bool (*connected)(void *opaque);
};

struct char_frontend {
    void *opaque;
    /* How many bytes the frontend can accept right now. */
    size_t (*can_receive)(void *opaque);
    /* Delivers len <= can_receive() bytes. */
    void (*receive)(void *opaque, const uint8_t *buf, size_t len);
    /* Optional: write room or the connection changed; look at the backend again. */
    void (*wakeup)(void *opaque);
    /* Optional: the host terminal now has this size. */
    void (*resize)(void *opaque, unsigned cols, unsigned rows);
};

/* Hands the frontend as much of buf[0, len) as it takes now; returns how many bytes. */
static inline size_t char_frontend_deliver(const struct char_frontend *fe, const uint8_t *buf,
                                           size_t len)
{
    size_t done = 0;
    while (fe->can_receive && done < len) {
        size_t room = fe->can_receive(fe->opaque);
        if (room == 0)
            break;
        size_t n = len - done < room ? len - done : room;
        fe->receive(fe->opaque, buf + done, n);
        done += n;
    }
    return done;
}

#endif

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

#include <stddef.h>
#include <stdint.h>

struct char_backend {
    void *opaque;
    void (*write)(void *opaque, const uint8_t *buf, size_t len);
};

struct char_frontend {
    void *opaque;
    /* How many bytes the frontend can accept right now. */
    size_t (*can_receive)(void *opaque);
    /* Delivers len <= can_receive() bytes. */
    void (*receive)(void *opaque, const uint8_t *buf, size_t len);
};

#endif

/*
 * virtio-console (device ID 3, VirtIO 1.2 5.3).
 *
 * Two shapes, each one device:
 *  - the guest's console (`--console virtio`, hvc0 in the guest): a single port, no
 *    MULTIPORT, with F_SIZE carrying the host terminal's size through the config space;
 *  - named ports (`--port NAME=...`, /dev/vportNpM and /sys/class/virtio-ports/.../name):
 *    MULTIPORT, with the control queues announcing each port, its name and whether a host
 *    program is connected.
 * Keeping them apart avoids the RESIZE control message, whose field order Linux versions
 * disagree on; the config-space size is unambiguous.
 *
 * Each port is a char_frontend for its backend (stdio, pty, unix socket). Guest output is
 * taken from the transmit queue only as fast as the backend accepts it (write_room), so no
 * byte is lost and a slow host end throttles the guest. Host input is pulled only into
 * receive buffers the guest posted, and only while the guest has the port open (Linux
 * discards data that reaches a port nobody opened).
 */
#ifndef KITE_VIRTIO_CONSOLE_H
#define KITE_VIRTIO_CONSOLE_H

#include <stdbool.h>

#include "core/chardev.h"
#include "core/guest_mem.h"
#include "virtio/device.h"

#define VIRTIO_CONSOLE_F_SIZE 0
#define VIRTIO_CONSOLE_F_MULTIPORT 1

/* Control events (5.3.6.2). */
#define VIRTIO_CONSOLE_DEVICE_READY 0
#define VIRTIO_CONSOLE_DEVICE_ADD 1
#define VIRTIO_CONSOLE_DEVICE_REMOVE 2
#define VIRTIO_CONSOLE_PORT_READY 3
#define VIRTIO_CONSOLE_CONSOLE_PORT 4
#define VIRTIO_CONSOLE_RESIZE 5
#define VIRTIO_CONSOLE_PORT_OPEN 6
#define VIRTIO_CONSOLE_PORT_NAME 7

/* Ports of one multiport device: queues 0-3 plus two per further port fit in 16. */
#define VIRTIO_CONSOLE_MAX_PORTS 7
#define VIRTIO_CONSOLE_NAME_MAX 63
/* A transmit buffer larger than this is refused (Linux sends at most 32 KiB). */
#define VIRTIO_CONSOLE_MAX_CHAIN (1u << 20)

struct virtio_console_port_config {
    const char *name;               /* multiport only: [A-Za-z0-9._-]+, unique */
    struct char_backend backend;
};

struct virtio_console_config {
    bool multiport;
    unsigned num_ports;             /* 1 without multiport */
    const struct virtio_console_port_config *ports;
    bool has_size;                  /* offer F_SIZE (single port): cols x rows */
    unsigned cols, rows;
};

struct virtio_console;

/* NULL on a bad configuration (logged) or ENOMEM. */
struct virtio_console *virtio_console_new(const struct guest_mem *mem,
                                          const struct virtio_console_config *cfg);
void virtio_console_free(struct virtio_console *c);
struct virtio_device *virtio_console_device(struct virtio_console *c);
/* What port `port`'s backend delivers input and events to. */
struct char_frontend virtio_console_frontend(struct virtio_console *c, unsigned port);
/* True if `name` may name a port. */
bool virtio_console_name_valid(const char *name);

#endif

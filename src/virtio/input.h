/*
 * virtio-input (device ID 18, VirtIO 1.2 5.8): a keyboard, a mouse or a tablet whose events
 * come from the host's input bus (core/input.h) and go to the guest as evdev events.
 *
 * The driver learns what the device is through the config select/subsel protocol (names,
 * device ids, property and event bitmaps, absolute axis ranges). Events travel in groups
 * ended by SYN_REPORT, one 8-byte event per buffer the driver posted on the event queue;
 * while it posts none, up to VIRTIO_INPUT_BACKLOG events wait, and a group that does not
 * fit is dropped whole (never half of it) and counted. LED changes the driver writes on the
 * status queue are reported on the bus.
 */
#ifndef KITE_VIRTIO_INPUT_H
#define KITE_VIRTIO_INPUT_H

#include <stdint.h>

#include "core/guest_mem.h"
#include "virtio/device.h"

#define VIRTIO_ID_INPUT 18

/* Config selects (5.8.5). */
#define VIRTIO_INPUT_CFG_UNSET 0x00
#define VIRTIO_INPUT_CFG_ID_NAME 0x01
#define VIRTIO_INPUT_CFG_ID_SERIAL 0x02
#define VIRTIO_INPUT_CFG_ID_DEVIDS 0x03
#define VIRTIO_INPUT_CFG_PROP_BITS 0x10
#define VIRTIO_INPUT_CFG_EV_BITS 0x11
#define VIRTIO_INPUT_CFG_ABS_INFO 0x12
#define VIRTIO_INPUT_CONFIG_LEN 136     /* select, subsel, size, 5 reserved, 128 of union */
#define VIRTIO_INPUT_BUS_VIRTUAL 0x06

#define VIRTIO_INPUT_BACKLOG 256        /* events held while the driver posts no buffers */
#define VIRTIO_INPUT_GROUP_MAX 32       /* events in one group, SYN_REPORT included */
#define VIRTIO_INPUT_ID_MAX 32
#define VIRTIO_INPUT_SERIAL_MAX 64

enum virtio_input_kind { VIRTIO_INPUT_KEYBOARD, VIRTIO_INPUT_MOUSE, VIRTIO_INPUT_TABLET };

struct virtio_input_config {
    enum virtio_input_kind kind;
    char id[VIRTIO_INPUT_ID_MAX];           /* on the input bus; "" = "input<N>" */
    char serial[VIRTIO_INPUT_SERIAL_MAX];   /* ID_SERIAL; "" = the id */
};

struct virtio_input_stats {
    uint64_t delivered;         /* events written to the guest */
    uint64_t dropped_groups;    /* groups that did not fit the backlog */
    unsigned backlog;           /* events waiting for buffers now */
    unsigned leds;              /* LED bits the guest set (bit n = LED code n) */
};

struct virtio_input;

/* Creates the device and puts it on the input bus (under cfg->id, which must be set). */
struct virtio_input *virtio_input_new(const struct guest_mem *mem,
                                      const struct virtio_input_config *cfg);
void virtio_input_free(struct virtio_input *in);
struct virtio_device *virtio_input_device(struct virtio_input *in);
struct virtio_input_stats virtio_input_stats(const struct virtio_input *in);

#endif

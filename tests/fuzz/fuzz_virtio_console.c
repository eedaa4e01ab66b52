/*
 * libFuzzer target: a hostile guest against virtio-console, in both shapes (the single-port
 * console with F_SIZE, and a two-port multiport device with its control queues), while the
 * host ends come and go: backends whose room and connection change, input offered at any
 * time, terminal resizes. Sanitizers catch memory errors; the asserts catch a backend fed
 * more than it offered room for and requests piling up beyond the queue size.
 *
 * Input: [RAM image: length in the first 2 bytes] [shape byte] then operations.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "virtio/console.h"
#include "virtio/mmio.h"
#include "fuzz_guest.h"

static uint8_t *ram;

/* A host end whose room and connection the input sets. */
struct fuzz_backend {
    size_t room;
    bool connected;
    uint64_t taken;
};

static void be_write(void *opaque, const uint8_t *buf, size_t len)
{
    struct fuzz_backend *b = opaque;
    (void)buf;
    assert(len <= b->room);     /* never more than the room it was offered */
    b->room -= len;
    b->taken += len;
}

static size_t be_room(void *opaque)
{
    struct fuzz_backend *b = opaque;
    return b->connected ? b->room : 0;
}

static bool be_connected(void *opaque)
{
    return ((struct fuzz_backend *)opaque)->connected;
}

/* Status, features and every queue, as a driver would (with fuzzed sizes and addresses). */
static void bring_up(struct virtio_mmio *t, unsigned queues, struct input *in)
{
    virtio_mmio_write(t, VIRTIO_MMIO_STATUS, 0, 4);
    virtio_mmio_write(t, VIRTIO_MMIO_STATUS, 3, 4);
    virtio_mmio_write(t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0, 4);
    uint32_t offered = (uint32_t)virtio_mmio_read(t, VIRTIO_MMIO_DEVICE_FEATURES, 4);
    virtio_mmio_write(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0, 4);
    virtio_mmio_write(t, VIRTIO_MMIO_DRIVER_FEATURES, offered & (uint32_t)take(in, 4), 4);
    virtio_mmio_write(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1, 4);
    virtio_mmio_write(t, VIRTIO_MMIO_DRIVER_FEATURES, 1, 4); /* VERSION_1 */
    virtio_mmio_write(t, VIRTIO_MMIO_STATUS, 11, 4);
    for (unsigned q = 0; q < queues; q++) {
        virtio_mmio_write(t, VIRTIO_MMIO_QUEUE_SEL, q, 4);
        virtio_mmio_write(t, VIRTIO_MMIO_QUEUE_NUM, 1u << (take(in, 1) % 6), 4);
        fuzz_queue_areas(t, in);
        virtio_mmio_write(t, VIRTIO_MMIO_QUEUE_READY, 1, 4);
    }
    virtio_mmio_write(t, VIRTIO_MMIO_STATUS, 15, 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ram) {
        ram = aligned_alloc(4096, RAM_SIZE);
        log_threshold = LOG_ERROR;
    }
    struct input in = {data, size};
    fuzz_load_ram(&in, ram);
    bool multiport = take(&in, 1) & 1;

    struct fuzz_backend be[2] = {{.room = 4096, .connected = true},
                                 {.room = 4096, .connected = false}};
    struct virtio_console_port_config pc[2] = {
        {.name = multiport ? "org.kite.a" : NULL,
         .backend = {.opaque = &be[0], .write = be_write, .write_room = be_room,
                     .connected = be_connected}},
        {.name = "b",
         .backend = {.opaque = &be[1], .write = be_write, .write_room = be_room,
                     .connected = be_connected}},
    };
    struct virtio_console_config cfg = {.multiport = multiport, .num_ports = multiport ? 2 : 1,
                                        .ports = pc, .has_size = !multiport, .cols = 80,
                                        .rows = 24};
    struct guest_mem mem = {.base = RAM_BASE, .size = RAM_SIZE, .host = ram};
    struct virtio_console *c = virtio_console_new(&mem, &cfg);
    assert(c);
    struct char_frontend fe[2];
    for (unsigned i = 0; i < cfg.num_ports; i++)
        fe[i] = virtio_console_frontend(c, i);
    int level = 0;
    struct irq_line irq = {.set = fuzz_irq_set, .opaque = &level, .line = 1};
    struct virtio_mmio *t = virtio_mmio_new(virtio_console_device(c), irq);
    unsigned queues = multiport ? 6 : 2;

    while (in.left) {
        uint8_t op = (uint8_t)take(&in, 1);
        unsigned port = (op >> 4) % cfg.num_ports;
        switch (op % 9) {
        case 0: /* register write, any width and offset */
            fuzz_reg_write(t, &in);
            break;
        case 1:
            virtio_mmio_write(t, VIRTIO_MMIO_QUEUE_NOTIFY, (uint32_t)(take(&in, 1) % 8), 4);
            break;
        case 2:
            bring_up(t, queues, &in);
            break;
        case 3: /* the guest edits its RAM (rings, descriptors, control messages) */
            fuzz_ram_edit(ram, &in);
            break;
        case 4: {   /* host input, as much as the device says it can take */
            size_t room = fe[port].can_receive(fe[port].opaque);
            if (room) {
                uint8_t buf[256];
                size_t n = (size_t)take(&in, 1) % sizeof(buf) + 1;
                if (n > room)
                    n = room;
                memset(buf, 'k', n);
                fe[port].receive(fe[port].opaque, buf, n);
            }
            break;
        }
        case 5:     /* the host end drains (room) or a client comes or goes */
            be[port].room = (size_t)take(&in, 2);
            be[port].connected = take(&in, 1) & 1;
            fe[port].wakeup(fe[port].opaque);
            break;
        case 6:
            fe[port].resize(fe[port].opaque, (unsigned)take(&in, 2), (unsigned)take(&in, 2));
            break;
        case 7:
            (void)virtio_mmio_read(t, VIRTIO_MMIO_INTERRUPT_STATUS, 4);
            virtio_mmio_write(t, VIRTIO_MMIO_INTERRUPT_ACK, (uint32_t)take(&in, 1), 4);
            break;
        case 8:     /* config space reads, any width */
            (void)virtio_mmio_read(t, VIRTIO_MMIO_CONFIG + take(&in, 1) % 16,
                                   1u << (take(&in, 1) % 3));
            break;
        }
        struct virtio_device *dev = virtio_console_device(c);
        for (unsigned q = 0; q < dev->num_queues; q++)
            assert(dev->queues[q].inflight <= dev->queues[q].size || !dev->queues[q].ready);
    }
    virtio_mmio_free(t);
    virtio_console_free(c);
    return 0;
}

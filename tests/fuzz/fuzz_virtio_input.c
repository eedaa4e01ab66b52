/*
 * libFuzzer target: a hostile guest against virtio-input (keyboard, mouse or tablet) while
 * the host floods it with events: config selects and writes anywhere, status-queue garbage,
 * event buffers of any shape or none at all. Sanitizers catch memory errors; the asserts
 * check the backlog stays within its bound, requests never pile up beyond the queue size,
 * and config size never claims more than the union holds.
 *
 * Input: [RAM image: length in the first 2 bytes] [kind byte] then operations.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/input.h"
#include "core/log.h"
#include "virtio/input.h"
#include "virtio/mmio.h"
#include "fuzz_guest.h"

static uint8_t *ram;
static unsigned leds_reported;

static void on_led(void *opaque, const char *id, unsigned code, bool on)
{
    assert(code < 5);
    leds_reported++;
}

static void bring_up(struct virtio_mmio *t, struct input *in)
{
    virtio_mmio_write(t, VIRTIO_MMIO_STATUS, 0, 4);
    virtio_mmio_write(t, VIRTIO_MMIO_STATUS, 3, 4);
    virtio_mmio_write(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1, 4);
    virtio_mmio_write(t, VIRTIO_MMIO_DRIVER_FEATURES, 1, 4); /* VERSION_1 */
    virtio_mmio_write(t, VIRTIO_MMIO_STATUS, 11, 4);
    for (unsigned q = 0; q < 2; q++) {
        virtio_mmio_write(t, VIRTIO_MMIO_QUEUE_SEL, q, 4);
        virtio_mmio_write(t, VIRTIO_MMIO_QUEUE_NUM, 1u << (take(in, 1) % 7), 4);
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
        input_set_led_listener(on_led, NULL);
    }
    struct input in = {data, size};
    fuzz_load_ram(&in, ram);
    struct virtio_input_config cfg = {.kind = (enum virtio_input_kind)(take(&in, 1) % 3),
                                      .id = "fz"};
    struct guest_mem mem = {.base = RAM_BASE, .size = RAM_SIZE, .host = ram};
    struct virtio_input *vi = virtio_input_new(&mem, &cfg);
    assert(vi);
    struct input_sink *sink = input_sink_by_id("fz");
    assert(sink);
    int level = 0;
    struct irq_line irq = {.set = fuzz_irq_set, .opaque = &level, .line = 1};
    struct virtio_mmio *t = virtio_mmio_new(virtio_input_device(vi), irq);

    while (in.left) {
        uint8_t op = (uint8_t)take(&in, 1);
        switch (op % 8) {
        case 0:
            fuzz_reg_write(t, &in);
            break;
        case 1:
            virtio_mmio_write(t, VIRTIO_MMIO_QUEUE_NOTIFY, (uint32_t)(take(&in, 1) % 3), 4);
            break;
        case 2:
            bring_up(t, &in);
            break;
        case 3:
            fuzz_ram_edit(ram, &in);
            break;
        case 4: {   /* the host sends a group of events, or floods */
            unsigned n = (unsigned)take(&in, 1) % 40, reps = (op >> 3) & 1 ? 50 : 1;
            uint16_t type = (uint16_t)take(&in, 1) % 4, code = (uint16_t)take(&in, 2);
            int32_t value = (int32_t)take(&in, 4);
            for (unsigned r = 0; r < reps; r++) {
                for (unsigned i = 0; i < n; i++)
                    sink->event(sink->opaque, type, (uint16_t)(code + i), value);
                sink->sync(sink->opaque);
            }
            break;
        }
        case 5: {   /* select/subsel, then read what the device says */
            virtio_mmio_write(t, VIRTIO_MMIO_CONFIG, take(&in, 1), 1);
            virtio_mmio_write(t, VIRTIO_MMIO_CONFIG + 1, take(&in, 1), 1);
            uint8_t sz = (uint8_t)virtio_mmio_read(t, VIRTIO_MMIO_CONFIG + 2, 1);
            assert(sz <= 128);
            break;
        }
        case 6:
            (void)virtio_mmio_read(t, VIRTIO_MMIO_INTERRUPT_STATUS, 4);
            virtio_mmio_write(t, VIRTIO_MMIO_INTERRUPT_ACK, (uint32_t)take(&in, 1), 4);
            break;
        case 7:
            fuzz_reg_read(t, &in);
            break;
        }
        struct virtio_device *dev = virtio_input_device(vi);
        for (unsigned q = 0; q < dev->num_queues; q++)
            assert(dev->queues[q].inflight <= dev->queues[q].size || !dev->queues[q].ready);
        assert(virtio_input_stats(vi).backlog <= VIRTIO_INPUT_BACKLOG);
    }
    virtio_mmio_free(t);
    virtio_input_free(vi);
    return 0;
}

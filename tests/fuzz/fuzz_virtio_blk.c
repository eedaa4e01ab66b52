/*
 * libFuzzer target: a hostile guest against virtio-blk (through virtio-mmio, the VirtIO
 * core and the queue walker) in front of the real raw-file backend on a small temporary
 * image. The input is the guest: its RAM (rings, descriptors, headers, discard ranges) and
 * a stream of register accesses, notifies, RAM edits and event-loop turns.
 * Sanitizers catch memory errors (the backend's I/O lands in the fuzzer's RAM buffer, so
 * an iovec outside it is caught too); the asserts catch broken promises: in flight never
 * above the queue size, and once the backend is drained every request taken from the
 * ring has been completed.
 *
 * Input: [RAM image length (2 bytes), RAM image] then operations.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/block.h"
#include "core/event_loop.h"
#include "core/log.h"
#include "virtio/blk.h"
#include "virtio/mmio.h"
#include "fuzz_guest.h"

#define IMG_SIZE (64 * 1024)

static uint8_t *ram;
static struct event_loop loop;
static struct block_device *bd;
static char img_path[64];

static void bring_up(struct virtio_mmio *t, struct input *in)
{
    virtio_mmio_write(t, VIRTIO_MMIO_STATUS, 0, 4);
    virtio_mmio_write(t, VIRTIO_MMIO_STATUS, 3, 4);
    /* Any subset of what the device offers (and sometimes more). */
    virtio_mmio_write(t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0, 4);
    uint32_t lo = (uint32_t)virtio_mmio_read(t, VIRTIO_MMIO_DEVICE_FEATURES, 4);
    uint32_t mask = (uint32_t)take(in, 4);
    uint32_t extra = take(in, 1) == 0xff ? (uint32_t)take(in, 4) : 0;
    virtio_mmio_write(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0, 4);
    virtio_mmio_write(t, VIRTIO_MMIO_DRIVER_FEATURES, (lo & mask) | extra, 4);
    virtio_mmio_write(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1, 4);
    virtio_mmio_write(t, VIRTIO_MMIO_DRIVER_FEATURES, 1, 4);   /* VERSION_1 */
    virtio_mmio_write(t, VIRTIO_MMIO_STATUS, 11, 4);
    virtio_mmio_write(t, VIRTIO_MMIO_QUEUE_SEL, (uint32_t)(take(in, 1) % 3), 4);
    virtio_mmio_write(t, VIRTIO_MMIO_QUEUE_NUM, 1u << (take(in, 1) % 9), 4);
    fuzz_queue_areas(t, in);
    virtio_mmio_write(t, VIRTIO_MMIO_QUEUE_READY, 1, 4);
    virtio_mmio_write(t, VIRTIO_MMIO_STATUS, 15, 4);
}

static void init_once(void)
{
    ram = aligned_alloc(4096, RAM_SIZE);
    log_threshold = LOG_ERROR;
    event_loop_init(&loop);
    snprintf(img_path, sizeof(img_path), "/tmp/kite-fuzz-blk-XXXXXX");
    int fd = mkstemp(img_path);
    assert(fd >= 0);
    assert(ftruncate(fd, IMG_SIZE) == 0);
    close(fd);
    struct block_config cfg = {.path = img_path};
    assert(block_open(&cfg, &loop, &bd) == 0);
    unlink(img_path);       /* the open file lives on; nothing is left behind */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ram)
        init_once();
    struct input in = {data, size};
    size_t image = fuzz_load_ram(&in, ram);

    struct guest_mem mem = {.base = RAM_BASE, .size = RAM_SIZE, .host = ram};
    /* One queue, or two with MQ. */
    struct virtio_blk_config cfg = {.serial = "fuzz", .num_queues = 1 + (unsigned)(image & 1)};
    struct virtio_blk *blk = virtio_blk_new(&mem, bd, &cfg);
    assert(blk);
    struct virtio_device *dev = virtio_blk_device(blk);
    int level = 0;
    struct irq_line irq = {.set = fuzz_irq_set, .opaque = &level, .line = 1};
    struct virtio_mmio *t = virtio_mmio_new(dev, irq);

    while (in.left) {
        uint8_t op = (uint8_t)take(&in, 1);
        switch (op % 7) {
        case 0: /* register write, any width and offset */
            fuzz_reg_write(t, &in);
            break;
        case 1: /* register or config read */
            fuzz_reg_read(t, &in);
            break;
        case 2:
            virtio_mmio_write(t, VIRTIO_MMIO_QUEUE_NOTIFY, (uint32_t)(take(&in, 1) % 3), 4);
            break;
        case 3:
            bring_up(t, &in);
            break;
        case 4: /* the guest edits its RAM, perhaps while requests are in flight */
            fuzz_ram_edit(ram, &in);
            break;
        case 5:     /* a turn of the event loop: completions arrive */
            event_loop_poll(&loop, 0);
            break;
        case 6:     /* everything in flight completes */
            block_drain(bd);
            for (unsigned q = 0; q < dev->num_queues; q++)
                assert(dev->queues[q].inflight == 0);
            break;
        }
        for (unsigned q = 0; q < dev->num_queues; q++)
            assert(dev->queues[q].inflight <= dev->queues[q].size || !dev->queues[q].ready);
        assert(block_inflight(bd) <= VIRTQ_MAX_SIZE);
    }
    /* Nothing taken from the ring is left behind. */
    block_drain(bd);
    assert(block_inflight(bd) == 0);
    for (unsigned q = 0; q < dev->num_queues; q++)
        assert(dev->queues[q].inflight == 0);
    virtio_mmio_free(t);
    virtio_blk_free(blk);
    return 0;
}

/*
 * libFuzzer target: a hostile guest against virtio-net on a fake backend that sometimes
 * has a vnet header, refuses frames (-EAGAIN) and comes back, floods frames of any size
 * into the device and drops its carrier. Sanitizers catch memory errors; the asserts catch
 * a frame handed to the backend beyond the limit, a backlog past its bound and requests
 * piling up beyond the queue size.
 *
 * Input: [RAM image: length in the first 2 bytes] [backend byte] then operations.
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "virtio/mmio.h"
#include "virtio/net.h"
#include "fuzz_guest.h"

static uint8_t *ram;
static uint8_t frame[NET_MAX_FRAME + NET_VNET_HDR_LEN + 16];

struct fuzz_backend {
    bool refuse;
    bool vnet;
    uint64_t frames;
};

static int be_write(void *opaque, const struct iovec *iov, unsigned iovcnt)
{
    struct fuzz_backend *b = opaque;
    if (b->refuse)
        return -EAGAIN;
    size_t len = 0;
    for (unsigned i = 0; i < iovcnt; i++)
        len += iov[i].iov_len;
    /* Never a frame without its Ethernet header, never one above the limit. */
    size_t hdr = b->vnet ? NET_VNET_HDR_LEN : 0;
    assert(len >= hdr + 14 && len <= hdr + NET_MAX_FRAME);
    b->frames++;
    return 0;
}

static const struct net_backend_ops ops = {.write_packet = be_write};

static void bring_up(struct virtio_mmio *t, struct input *in)
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
    for (unsigned q = 0; q < 3; q++) {
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
    uint8_t kind = (uint8_t)take(&in, 1);
    struct fuzz_backend fb = {.vnet = kind & 1};
    struct net_backend be = {.ops = &ops, .opaque = &fb, .kind = "fuzz", .vnet_hdr = kind & 1,
                             .offloads = (kind & 1) ? (uint32_t)(kind >> 1) & 0xf : 0,
                             .carrier = true, .csum_valid = kind & 0x40};
    struct guest_mem mem = {.base = RAM_BASE, .size = RAM_SIZE, .host = ram};
    static const uint8_t mac[6] = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
    struct virtio_net *n = virtio_net_new(&mem, &be, mac);
    assert(n);
    int level = 0;
    struct irq_line irq = {.set = fuzz_irq_set, .opaque = &level, .line = 1};
    struct virtio_mmio *t = virtio_mmio_new(virtio_net_device(n), irq);

    while (in.left) {
        uint8_t op = (uint8_t)take(&in, 1);
        switch (op % 9) {
        case 0:
            fuzz_reg_write(t, &in);
            break;
        case 1:
            virtio_mmio_write(t, VIRTIO_MMIO_QUEUE_NOTIFY, (uint32_t)(take(&in, 1) % 4), 4);
            break;
        case 2:
            bring_up(t, &in);
            break;
        case 3:
            fuzz_ram_edit(ram, &in);
            break;
        case 4: {   /* frames from the host, any size (some beyond every limit) */
            size_t len = (size_t)take(&in, 2);
            if (op & 0x80)
                len = sizeof(frame) - (len & 0xff);
            unsigned count = (op >> 4) & 7;
            memset(frame, 0xff, 6);     /* broadcast: past any filter */
            for (unsigned i = 0; i <= count; i++) {
                size_t first = len / 3;
                struct iovec iov[2] = {{frame, first}, {frame + first, len - first}};
                if (!be.fe.can_write_packet || be.fe.can_write_packet(be.fe.opaque) ||
                    (op & 0x40))
                    net_backend_deliver(&be, iov, 2);
            }
            break;
        }
        case 5:
            net_backend_set_carrier(&be, take(&in, 1) & 1);
            break;
        case 6:
            fb.refuse = take(&in, 1) & 1;
            if (!fb.refuse)
                net_backend_tx_ready(&be);
            break;
        case 7:
            (void)virtio_mmio_read(t, VIRTIO_MMIO_INTERRUPT_STATUS, 4);
            virtio_mmio_write(t, VIRTIO_MMIO_INTERRUPT_ACK, (uint32_t)take(&in, 1), 4);
            break;
        case 8:
            fuzz_reg_read(t, &in);
            break;
        }
        assert(virtio_net_backlog(n) <= VIRTIO_NET_BACKLOG_FRAMES);
        struct virtio_device *dev = virtio_net_device(n);
        for (unsigned q = 0; q < dev->num_queues; q++)
            assert(dev->queues[q].inflight <= dev->queues[q].size || !dev->queues[q].ready);
    }
    virtio_mmio_free(t);
    virtio_net_free(n);
    return 0;
}

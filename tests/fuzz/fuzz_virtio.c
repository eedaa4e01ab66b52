/*
 * libFuzzer target: a hostile guest against the VirtIO core, the virtio-mmio transport,
 * virtio-rng and the split-queue walker. The input is the guest: its RAM contents
 * (descriptor tables, rings, indirect tables) and a stream of register accesses, notifies
 * and ring edits. Sanitizers catch memory errors; the asserts below catch broken
 * invariants (bounded in-flight requests, used.idx only moving by completions).
 *
 * Input: [RAM image: up to RAM_SIZE bytes, length in the first 2 bytes] then operations.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "virtio/mmio.h"
#include "fuzz_guest.h"
#include "virtio/queue.h"
#include "virtio/rng.h"


static uint8_t *ram;

static ssize_t fake_entropy(void *opaque, void *buf, size_t len)
{
    memset(buf, 0x5a, len);
    return (ssize_t)len;
}

static void bring_up(struct virtio_mmio *t, struct input *in)
{
    virtio_mmio_write(t, VIRTIO_MMIO_STATUS, 0, 4);
    virtio_mmio_write(t, VIRTIO_MMIO_STATUS, 3, 4);
    uint64_t feat = (1ULL << VIRTIO_F_VERSION_1) | (take(in, 1) & 1 ? 1ULL << 28 : 0) |
                    (take(in, 1) & 1 ? 1ULL << 29 : 0);
    virtio_mmio_write(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0, 4);
    virtio_mmio_write(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)feat, 4);
    virtio_mmio_write(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1, 4);
    virtio_mmio_write(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(feat >> 32), 4);
    virtio_mmio_write(t, VIRTIO_MMIO_STATUS, 11, 4);
    virtio_mmio_write(t, VIRTIO_MMIO_QUEUE_SEL, 0, 4);
    virtio_mmio_write(t, VIRTIO_MMIO_QUEUE_NUM, 1u << (take(in, 1) % 10), 4);
    fuzz_queue_areas(t, in);
    virtio_mmio_write(t, VIRTIO_MMIO_QUEUE_READY, 1, 4);
    virtio_mmio_write(t, VIRTIO_MMIO_STATUS, 15, 4);
}

static void check_queue(const struct virtq *vq)
{
    assert(vq->inflight <= vq->size || !vq->ready);
    assert(!vq->ready || (vq->desc && vq->avail && vq->used));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ram) {
        ram = aligned_alloc(4096, RAM_SIZE);
        log_threshold = LOG_ERROR;
    }
    struct input in = {data, size};
    fuzz_load_ram(&in, ram);

    struct guest_mem mem = {.base = RAM_BASE, .size = RAM_SIZE, .host = ram};
    struct virtio_rng *rng = virtio_rng_new(&mem, (struct entropy_source){fake_entropy, NULL},
                                            NULL, NULL);
    int level = 0;
    struct irq_line irq = {.set = fuzz_irq_set, .opaque = &level, .line = 1};
    struct virtio_mmio *t = virtio_mmio_new(virtio_rng_device(rng), irq);

    /* A bare queue for the walker, driven directly. */
    struct virtq vq;
    virtq_init(&vq, &mem, 256, "fuzz");
    struct virtq_elem *held[8] = {0};
    unsigned nheld = 0;

    while (in.left) {
        uint8_t op = (uint8_t)take(&in, 1);
        switch (op % 9) {
        case 0: /* register write, any width and offset */
            fuzz_reg_write(t, &in);
            break;
        case 1: /* register read */
            fuzz_reg_read(t, &in);
            break;
        case 2:
            virtio_mmio_write(t, VIRTIO_MMIO_QUEUE_NOTIFY, (uint32_t)(take(&in, 1) % 3), 4);
            break;
        case 3:
            bring_up(t, &in);
            break;
        case 4: /* the guest edits its RAM (rings, descriptors) */
            fuzz_ram_edit(ram, &in);
            break;
        case 5: {   /* set up the bare queue */
            virtq_reset(&vq);
            vq.size = (uint16_t)take(&in, 2);
            vq.desc_gpa = pick_gpa(&in);
            vq.avail_gpa = pick_gpa(&in);
            vq.used_gpa = pick_gpa(&in);
            uint8_t f = (uint8_t)take(&in, 1);
            vq.indirect = f & 1;
            vq.event_idx = f & 2;
            vq.max_chain_bytes = f & 4 ? 4096 : UINT32_MAX;
            (void)virtq_enable(&vq);
            /* Requests held across the reset belong to the old epoch: pushing drops them. */
            for (unsigned i = 0; i < nheld; i++)
                virtq_push(&vq, held[i], 0);
            memset(held, 0, sizeof(held));
            nheld = 0;
            break;
        }
        case 6: {   /* pop from the bare queue, hold some, complete others */
            for (int k = 0; k < 16; k++) {
                struct virtq_elem *e;
                uint16_t before = vq.used_idx;
                if (!virtq_pop(&vq, &e))
                    break;
                /* A request comes out once; failed chains are completed in passing. */
                assert(e->out_num + e->in_num <= vq.size);
                for (unsigned i = 0; i < e->out_num + e->in_num; i++) {
                    /* Every iovec lies inside RAM. */
                    uint8_t *b = e->iov[i].iov_base;
                    assert(b >= ram && b + e->iov[i].iov_len <= ram + RAM_SIZE);
                }
                (void)before;
                uint8_t how = (uint8_t)take(&in, 1);
                if ((how & 1) && nheld < 8) {
                    held[nheld++] = e;
                } else {
                    virtq_push(&vq, e, (uint32_t)take(&in, 4));
                }
            }
            check_queue(&vq);
            break;
        }
        case 7:     /* complete what is held */
            for (unsigned i = 0; i < nheld; i++)
                virtq_push(&vq, held[i], (uint32_t)take(&in, 2));
            memset(held, 0, sizeof(held));
            nheld = 0;
            (void)virtq_should_notify(&vq);
            break;
        case 8:
            (void)virtq_set_notification(&vq, take(&in, 1) & 1);
            (void)virtq_should_notify(&vq);
            break;
        }
        check_queue(&virtio_rng_device(rng)->queues[0]);
    }
    for (unsigned i = 0; i < nheld; i++)
        virtq_drop(&vq, held[i]);
    virtq_cleanup(&vq);
    virtio_mmio_free(t);
    virtio_rng_free(rng);
    return 0;
}

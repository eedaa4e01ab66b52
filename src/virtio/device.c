/* The VirtIO core: feature negotiation, status, queue setup and interrupts (VirtIO 1.2, 2-3). */
#include "virtio/device.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

/* Features the core implements for every device. */
#define CORE_FEATURES ((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_INDIRECT_DESC) | \
                       (1ULL << VIRTIO_F_EVENT_IDX))

enum complaint {
    C_STATUS_CLEAR, C_FEATURES_REFUSED, C_DRIVER_OK_EARLY, C_FEATURES_LATE, C_FEATURES_SEL,
    C_QUEUE_FROZEN, C_QUEUE_ABSENT, C_NOTIFY_NOQUEUE, C_NOTIFY_EARLY, C_CONFIG_RANGE, C_CONFIG_RO,
    C_NEEDS_RESET, C_FAILED,
};

#define complain(dev, kind, ...)                                        \
    do {                                                                \
        if (!((dev)->logged & (1u << (kind)))) {                        \
            (dev)->logged |= 1u << (kind);                              \
            log_warn((dev)->name ? (dev)->name : "virtio", __VA_ARGS__); \
        }                                                               \
    } while (0)

static void queue_broken(void *opaque)
{
    virtio_needs_reset(opaque);
}

int virtio_device_init(struct virtio_device *dev, const struct guest_mem *mem,
                       unsigned num_queues, const uint16_t *max_sizes)
{
    if (num_queues > VIRTIO_MAX_QUEUES || dev->config_len > VIRTIO_MAX_CONFIG)
        return -EINVAL;
    dev->mem = mem;
    dev->host_features = dev->features | CORE_FEATURES;
    dev->guest_features = 0;
    dev->status = 0;
    dev->config_generation = 0;
    dev->logged = 0;
    dev->num_queues = num_queues;
    for (unsigned i = 0; i < num_queues; i++) {
        snprintf(dev->queue_names[i], sizeof(dev->queue_names[i]), "%s.%u",
                 dev->name ? dev->name : "virtio", i);
        int ret = virtq_init(&dev->queues[i], mem, max_sizes ? max_sizes[i] : 0,
                             dev->queue_names[i]);
        if (ret < 0) {
            dev->num_queues = i;
            virtio_device_cleanup(dev);
            return ret;
        }
        dev->queues[i].on_broken = queue_broken;
        dev->queues[i].opaque = dev;
    }
    return 0;
}

void virtio_device_cleanup(struct virtio_device *dev)
{
    for (unsigned i = 0; i < dev->num_queues; i++)
        virtq_cleanup(&dev->queues[i]);
    dev->num_queues = 0;
}

static void interrupt(struct virtio_device *dev, uint32_t reason, unsigned queue)
{
    if (dev->transport.interrupt)
        dev->transport.interrupt(dev->transport.opaque, reason, queue);
}

void virtio_device_reset(struct virtio_device *dev)
{
    if (dev->ops && dev->ops->reset)
        dev->ops->reset(dev);
    for (unsigned i = 0; i < dev->num_queues; i++) {
        virtq_reset(&dev->queues[i]);
        dev->queues[i].event_idx = dev->queues[i].indirect = false;
    }
    dev->guest_features = 0;
    dev->features_beyond_64 = false;
    dev->status = 0;
    if (dev->transport.reset)
        dev->transport.reset(dev->transport.opaque);
}

static bool features_acceptable(struct virtio_device *dev)
{
    uint64_t extra = dev->guest_features & ~dev->host_features;
    if (extra || dev->features_beyond_64) {
        complain(dev, C_FEATURES_REFUSED,
                 "driver accepted features never offered (0x%llx): FEATURES_OK refused",
                 (unsigned long long)extra);
        return false;
    }
    if (!virtio_has_feature(dev, VIRTIO_F_VERSION_1)) {
        complain(dev, C_FEATURES_REFUSED,
                 "driver did not accept VIRTIO_F_VERSION_1 (legacy is not supported): "
                 "FEATURES_OK refused");
        return false;
    }
    if (dev->ops && dev->ops->validate_features &&
        !dev->ops->validate_features(dev, dev->guest_features)) {
        complain(dev, C_FEATURES_REFUSED, "device refused the features 0x%llx: FEATURES_OK "
                 "refused", (unsigned long long)dev->guest_features);
        return false;
    }
    return true;
}

void virtio_set_status(struct virtio_device *dev, uint8_t value)
{
    if (value == 0) {
        virtio_device_reset(dev);
        return;
    }
    uint8_t old = dev->status;
    uint8_t keep = old & VIRTIO_STATUS_NEEDS_RESET;      /* only the device sets it */
    uint8_t want = value & ~VIRTIO_STATUS_NEEDS_RESET;
    if ((old & ~VIRTIO_STATUS_NEEDS_RESET) & ~want) {
        complain(dev, C_STATUS_CLEAR, "driver cleared status bits (0x%x -> 0x%x) without a "
                 "reset: ignored", old, value);
        return;
    }
    uint8_t added = want & ~old;
    if ((added & VIRTIO_STATUS_FEATURES_OK) && !features_acceptable(dev))
        want &= ~VIRTIO_STATUS_FEATURES_OK;
    if ((added & VIRTIO_STATUS_DRIVER_OK) && !(want & VIRTIO_STATUS_FEATURES_OK)) {
        complain(dev, C_DRIVER_OK_EARLY, "DRIVER_OK without FEATURES_OK: refused");
        want &= ~VIRTIO_STATUS_DRIVER_OK;
    }
    dev->status = want | keep;
    if ((added & VIRTIO_STATUS_FAILED))
        complain(dev, C_FAILED, "driver gave up on the device (status FAILED)");
    if ((want & VIRTIO_STATUS_DRIVER_OK) && (added & VIRTIO_STATUS_DRIVER_OK) &&
        dev->ops && dev->ops->driver_ok && virtio_driver_ok(dev))
        dev->ops->driver_ok(dev);
}

uint64_t virtio_get_features(const struct virtio_device *dev, unsigned sel)
{
    if (sel > 1)
        return 0;
    return (uint32_t)(dev->host_features >> (32 * sel));
}

void virtio_set_driver_features(struct virtio_device *dev, unsigned sel, uint32_t value)
{
    if (dev->status & VIRTIO_STATUS_FEATURES_OK) {
        complain(dev, C_FEATURES_LATE, "driver features written after FEATURES_OK: ignored");
        return;
    }
    if (sel > 1) {
        /* Bits above 63 are never offered: accepting one means FEATURES_OK must fail. */
        if (value) {
            dev->features_beyond_64 = true;
            complain(dev, C_FEATURES_SEL, "driver accepted features in word %u: never offered",
                     sel);
        }
        return;
    }
    unsigned shift = 32 * sel;
    dev->guest_features &= ~(0xffffffffULL << shift);
    dev->guest_features |= (uint64_t)value << shift;
}

static bool queue_writable(struct virtio_device *dev, unsigned q)
{
    if (q >= dev->num_queues) {
        complain(dev, C_QUEUE_ABSENT, "queue %u set up, which does not exist: ignored", q);
        return false;
    }
    if (dev->status & VIRTIO_STATUS_DRIVER_OK) {
        complain(dev, C_QUEUE_FROZEN, "queue %u reconfigured after DRIVER_OK: ignored", q);
        return false;
    }
    if (dev->queues[q].ready) {
        complain(dev, C_QUEUE_FROZEN, "queue %u reconfigured while enabled: ignored", q);
        return false;
    }
    return true;
}

int virtio_queue_set_size(struct virtio_device *dev, unsigned q, uint32_t size)
{
    if (!queue_writable(dev, q))
        return -EBUSY;
    /* Checked when the queue is enabled; keep it in range of the 16-bit field. */
    dev->queues[q].size = size > VIRTQ_MAX_SIZE ? 0 : (uint16_t)size;
    return 0;
}

static uint64_t *area_field(struct virtq *vq, enum virtq_area area)
{
    switch (area) {
    case VIRTQ_AREA_DESC: return &vq->desc_gpa;
    case VIRTQ_AREA_DRIVER: return &vq->avail_gpa;
    case VIRTQ_AREA_DEVICE: return &vq->used_gpa;
    }
    return NULL;
}

int virtio_queue_set_area(struct virtio_device *dev, unsigned q, enum virtq_area area,
                          uint64_t gpa)
{
    if (!queue_writable(dev, q))
        return -EBUSY;
    uint64_t *field = area_field(&dev->queues[q], area);
    if (!field)
        return -EINVAL;
    *field = gpa;
    return 0;
}

uint64_t virtio_queue_area(const struct virtio_device *dev, unsigned q, enum virtq_area area)
{
    if (q >= dev->num_queues)
        return 0;
    uint64_t *field = area_field((struct virtq *)&dev->queues[q], area);
    return field ? *field : 0;
}

int virtio_queue_set_ready(struct virtio_device *dev, unsigned q, bool ready)
{
    if (q >= dev->num_queues)
        return -EINVAL;
    struct virtq *vq = &dev->queues[q];
    if (dev->status & VIRTIO_STATUS_DRIVER_OK) {
        complain(dev, C_QUEUE_FROZEN, "queue %u reconfigured after DRIVER_OK: ignored", q);
        return -EBUSY;
    }
    if (!ready) {
        uint16_t size = vq->size;
        uint64_t d = vq->desc_gpa, a = vq->avail_gpa, u = vq->used_gpa;
        virtq_reset(vq);
        /* Disabling keeps the programmed layout, as a register file would. */
        vq->size = size;
        vq->desc_gpa = d;
        vq->avail_gpa = a;
        vq->used_gpa = u;
        return 0;
    }
    if (vq->ready)
        return 0;
    uint64_t f = dev->guest_features & dev->host_features;
    vq->event_idx = (f >> VIRTIO_F_EVENT_IDX) & 1;
    vq->indirect = (f >> VIRTIO_F_INDIRECT_DESC) & 1;
    return virtq_enable(vq);
}

void virtio_queue_notified(struct virtio_device *dev, unsigned q)
{
    if (q >= dev->num_queues) {
        complain(dev, C_NOTIFY_NOQUEUE, "notify for queue %u, which does not exist: ignored",
                 q);
        return;
    }
    if (!virtio_driver_ok(dev) || !dev->queues[q].ready) {
        complain(dev, C_NOTIFY_EARLY, "notify for queue %u before it is live: ignored", q);
        return;
    }
    if (dev->ops && dev->ops->queue_notify)
        dev->ops->queue_notify(dev, q);
}

uint64_t virtio_config_read(struct virtio_device *dev, uint32_t offset, unsigned size)
{
    if (size > 8 || offset > dev->config_len || size > dev->config_len - offset) {
        complain(dev, C_CONFIG_RANGE, "config read at %u (%u bytes) outside %u bytes", offset,
                 size, dev->config_len);
        return 0;
    }
    uint64_t v = 0;
    memcpy(&v, dev->config + offset, size);
    return v;
}

void virtio_config_write(struct virtio_device *dev, uint32_t offset, uint64_t value,
                         unsigned size)
{
    if (size > 8 || offset > dev->config_len || size > dev->config_len - offset) {
        complain(dev, C_CONFIG_RANGE, "config write at %u (%u bytes) outside %u bytes", offset,
                 size, dev->config_len);
        return;
    }
    if (!dev->ops || !dev->ops->config_write) {
        complain(dev, C_CONFIG_RO, "config write at %u to a read-only config space", offset);
        return;
    }
    memcpy(dev->config + offset, &value, size);
    dev->ops->config_write(dev, offset, size);
}

int virtio_pop(struct virtio_device *dev, unsigned q, struct virtq_elem **elem)
{
    *elem = NULL;
    if (q >= dev->num_queues || !virtio_driver_ok(dev))
        return 0;
    int r = virtq_pop(&dev->queues[q], elem);
    if (r == 0) {
        /* Malformed chains were completed inside virtq_pop: the driver wants them back. */
        virtio_queue_kick_guest(dev, q);
    }
    return r;
}

void virtio_queue_kick_guest(struct virtio_device *dev, unsigned q)
{
    if (q < dev->num_queues && virtq_should_notify(&dev->queues[q]))
        interrupt(dev, VIRTIO_INT_USED, q);
}

void virtio_complete(struct virtio_device *dev, unsigned q, struct virtq_elem *elem,
                     uint32_t written)
{
    if (q >= dev->num_queues) {
        free(elem);
        return;
    }
    virtq_push(&dev->queues[q], elem, written);
    virtio_queue_kick_guest(dev, q);
}

void virtio_config_changed(struct virtio_device *dev)
{
    dev->config_generation++;
    if (dev->status & VIRTIO_STATUS_DRIVER_OK)
        interrupt(dev, VIRTIO_INT_CONFIG, VIRTIO_NO_QUEUE);
}

void virtio_needs_reset(struct virtio_device *dev)
{
    complain(dev, C_NEEDS_RESET, "device needs a reset (status DEVICE_NEEDS_RESET)");
    if (dev->status & VIRTIO_STATUS_NEEDS_RESET)
        return;
    dev->status |= VIRTIO_STATUS_NEEDS_RESET;
    if (dev->status & VIRTIO_STATUS_DRIVER_OK)
        interrupt(dev, VIRTIO_INT_CONFIG, VIRTIO_NO_QUEUE);
}

void virtio_device_dump(const struct virtio_device *dev)
{
    fprintf(stderr, "%s: status 0x%x features 0x%llx generation %u\r\n",
            dev->name ? dev->name : "virtio", dev->status,
            (unsigned long long)(dev->guest_features & dev->host_features),
            dev->config_generation);
    for (unsigned q = 0; q < dev->num_queues; q++) {
        const struct virtq *vq = &dev->queues[q];
        if (!vq->ready && !vq->broken)
            continue;
        /* The driver's side is read from guest RAM as it is now (the rings are mapped). */
        uint16_t avail_idx = 0, used_event = 0, avail_event = 0;
        if (vq->avail && vq->used) {
            memcpy(&avail_idx, vq->avail + 2, 2);
            memcpy(&used_event, vq->avail + 4 + 2 * vq->size, 2);
            memcpy(&avail_event, vq->used + 4 + 8 * vq->size, 2);
        }
        fprintf(stderr, "  queue %u: size %u%s avail.idx %u seen %u used.idx %u in flight %u "
                "used_event %u avail_event %u\r\n",
                q, vq->size, vq->broken ? " BROKEN" : "", avail_idx, vq->last_avail,
                vq->used_idx, vq->inflight, used_event, avail_event);
    }
}

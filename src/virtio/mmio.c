/* virtio-mmio version 2: registers -> the VirtIO core. */
#include "virtio/mmio.h"

#include <stdlib.h>

#include "core/log.h"

struct virtio_mmio {
    struct virtio_device *dev;
    struct irq_line irq;
    uint32_t device_features_sel, driver_features_sel;
    uint32_t queue_sel;
    uint32_t shm_sel;
    uint32_t interrupt_status;
    uint32_t logged;
};

enum complaint { C_WIDTH, C_OFFSET, C_READONLY, C_WRITEONLY, C_NOQUEUE, C_READY };

#define complain(t, kind, ...)                                               \
    do {                                                                     \
        if (!((t)->logged & (1u << (kind)))) {                               \
            (t)->logged |= 1u << (kind);                                     \
            log_warn("virtio-mmio", __VA_ARGS__);                            \
        }                                                                    \
    } while (0)

static void update_irq(struct virtio_mmio *t)
{
    irq_set(&t->irq, t->interrupt_status != 0);
}

static void on_interrupt(void *opaque, uint32_t reason, unsigned queue)
{
    struct virtio_mmio *t = opaque;
    t->interrupt_status |= reason & (VIRTIO_INT_USED | VIRTIO_INT_CONFIG);
    update_irq(t);
}

static void on_reset(void *opaque)
{
    struct virtio_mmio *t = opaque;
    t->interrupt_status = 0;
    t->device_features_sel = t->driver_features_sel = 0;
    t->queue_sel = 0;
    t->shm_sel = 0;
    update_irq(t);
}

struct virtio_mmio *virtio_mmio_new(struct virtio_device *dev, struct irq_line irq)
{
    struct virtio_mmio *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->dev = dev;
    t->irq = irq;
    dev->transport = (struct virtio_transport){.opaque = t, .interrupt = on_interrupt,
                                               .reset = on_reset};
    return t;
}

void virtio_mmio_free(struct virtio_mmio *t)
{
    if (!t)
        return;
    t->dev->transport = (struct virtio_transport){0};
    free(t);
}

struct mmio_region virtio_mmio_region(struct virtio_mmio *t, uint64_t base)
{
    return (struct mmio_region){.name = t->dev->name ? t->dev->name : "virtio-mmio",
                                .base = base, .size = VIRTIO_MMIO_SIZE, .opaque = t,
                                .read = virtio_mmio_read, .write = virtio_mmio_write};
}

static struct virtq *selected(struct virtio_mmio *t)
{
    return virtio_queue(t->dev, t->queue_sel);
}

static uint32_t lo32(uint64_t v) { return (uint32_t)v; }
static uint32_t hi32(uint64_t v) { return (uint32_t)(v >> 32); }

uint64_t virtio_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    struct virtio_mmio *t = opaque;
    struct virtio_device *dev = t->dev;
    if (offset >= VIRTIO_MMIO_CONFIG) {
        if (size != 1 && size != 2 && size != 4) {
            complain(t, C_WIDTH, "%s: %u-byte config read at 0x%llx ignored", dev->name, size,
                     (unsigned long long)offset);
            return 0;
        }
        return virtio_config_read(dev, (uint32_t)(offset - VIRTIO_MMIO_CONFIG), size);
    }
    if (size != 4 || (offset & 3)) {
        complain(t, C_WIDTH, "%s: %u-byte register read at 0x%llx ignored", dev->name, size,
                 (unsigned long long)offset);
        return 0;
    }
    struct virtq *vq = selected(t);
    switch (offset) {
    case VIRTIO_MMIO_MAGIC: return VIRTIO_MMIO_MAGIC_VALUE;
    case VIRTIO_MMIO_VERSION: return 2;
    case VIRTIO_MMIO_DEVICE_ID: return dev->device_id;
    case VIRTIO_MMIO_VENDOR_ID: return VIRTIO_MMIO_VENDOR;
    case VIRTIO_MMIO_DEVICE_FEATURES: return virtio_get_features(dev, t->device_features_sel);
    case VIRTIO_MMIO_QUEUE_NUM_MAX: return vq ? vq->max_size : 0;
    case VIRTIO_MMIO_QUEUE_READY: return vq ? vq->ready : 0;
    case VIRTIO_MMIO_INTERRUPT_STATUS: return t->interrupt_status;
    case VIRTIO_MMIO_STATUS: return dev->status;
    case VIRTIO_MMIO_QUEUE_NUM: return vq ? vq->size : 0;
    case VIRTIO_MMIO_QUEUE_DESC_LOW: return vq ? lo32(vq->desc_gpa) : 0;
    case VIRTIO_MMIO_QUEUE_DESC_HIGH: return vq ? hi32(vq->desc_gpa) : 0;
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW: return vq ? lo32(vq->avail_gpa) : 0;
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH: return vq ? hi32(vq->avail_gpa) : 0;
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW: return vq ? lo32(vq->used_gpa) : 0;
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH: return vq ? hi32(vq->used_gpa) : 0;
    /* No shared memory regions: every one reads as length ~0 ("absent"). */
    case VIRTIO_MMIO_SHM_LEN_LOW:
    case VIRTIO_MMIO_SHM_LEN_HIGH:
    case VIRTIO_MMIO_SHM_BASE_LOW:
    case VIRTIO_MMIO_SHM_BASE_HIGH: return 0xffffffffu;
    case VIRTIO_MMIO_CONFIG_GENERATION: return dev->config_generation;
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
    case VIRTIO_MMIO_DRIVER_FEATURES:
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
    case VIRTIO_MMIO_QUEUE_SEL:
    case VIRTIO_MMIO_QUEUE_NOTIFY:
    case VIRTIO_MMIO_INTERRUPT_ACK:
    case VIRTIO_MMIO_SHM_SEL:
        complain(t, C_WRITEONLY, "%s: read of write-only register 0x%llx", dev->name,
                 (unsigned long long)offset);
        return 0;
    default:
        complain(t, C_OFFSET, "%s: read of undefined register 0x%llx", dev->name,
                 (unsigned long long)offset);
        return 0;
    }
}

/* A queue address register pair: the half written replaces that half of the address. */
static void write_queue_area(struct virtio_mmio *t, enum virtq_area area, bool high, uint32_t v)
{
    uint64_t old = virtio_queue_area(t->dev, t->queue_sel, area);
    uint64_t gpa = high ? (old & 0xffffffffULL) | (uint64_t)v << 32
                        : (old & ~0xffffffffULL) | v;
    virtio_queue_set_area(t->dev, t->queue_sel, area, gpa);
}

void virtio_mmio_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct virtio_mmio *t = opaque;
    struct virtio_device *dev = t->dev;
    if (offset >= VIRTIO_MMIO_CONFIG) {
        if (size != 1 && size != 2 && size != 4) {
            complain(t, C_WIDTH, "%s: %u-byte config write at 0x%llx ignored", dev->name,
                     size, (unsigned long long)offset);
            return;
        }
        virtio_config_write(dev, (uint32_t)(offset - VIRTIO_MMIO_CONFIG), value, size);
        return;
    }
    if (size != 4 || (offset & 3)) {
        complain(t, C_WIDTH, "%s: %u-byte register write at 0x%llx ignored", dev->name, size,
                 (unsigned long long)offset);
        return;
    }
    uint32_t v = (uint32_t)value;
    switch (offset) {
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL: t->device_features_sel = v; break;
    case VIRTIO_MMIO_DRIVER_FEATURES: virtio_set_driver_features(dev, t->driver_features_sel, v); break;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL: t->driver_features_sel = v; break;
    case VIRTIO_MMIO_QUEUE_SEL: t->queue_sel = v; break;
    case VIRTIO_MMIO_QUEUE_NUM: virtio_queue_set_size(dev, t->queue_sel, v); break;
    case VIRTIO_MMIO_QUEUE_DESC_LOW: write_queue_area(t, VIRTQ_AREA_DESC, false, v); break;
    case VIRTIO_MMIO_QUEUE_DESC_HIGH: write_queue_area(t, VIRTQ_AREA_DESC, true, v); break;
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW: write_queue_area(t, VIRTQ_AREA_DRIVER, false, v); break;
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH: write_queue_area(t, VIRTQ_AREA_DRIVER, true, v); break;
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW: write_queue_area(t, VIRTQ_AREA_DEVICE, false, v); break;
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH: write_queue_area(t, VIRTQ_AREA_DEVICE, true, v); break;
    case VIRTIO_MMIO_QUEUE_READY:
        if (!selected(t)) {
            complain(t, C_NOQUEUE, "%s: QueueReady written for absent queue %u", dev->name,
                     t->queue_sel);
            break;
        }
        if (virtio_queue_set_ready(dev, t->queue_sel, v & 1) < 0)
            complain(t, C_READY, "%s: queue %u not enabled (see above)", dev->name,
                     t->queue_sel);
        break;
    case VIRTIO_MMIO_QUEUE_NOTIFY: virtio_queue_notified(dev, v); break;
    case VIRTIO_MMIO_INTERRUPT_ACK:
        t->interrupt_status &= ~v;
        update_irq(t);
        break;
    case VIRTIO_MMIO_STATUS: virtio_set_status(dev, (uint8_t)v); break;
    case VIRTIO_MMIO_SHM_SEL: t->shm_sel = v; break;
    case VIRTIO_MMIO_MAGIC:
    case VIRTIO_MMIO_VERSION:
    case VIRTIO_MMIO_DEVICE_ID:
    case VIRTIO_MMIO_VENDOR_ID:
    case VIRTIO_MMIO_DEVICE_FEATURES:
    case VIRTIO_MMIO_QUEUE_NUM_MAX:
    case VIRTIO_MMIO_INTERRUPT_STATUS:
    case VIRTIO_MMIO_SHM_LEN_LOW:
    case VIRTIO_MMIO_SHM_LEN_HIGH:
    case VIRTIO_MMIO_SHM_BASE_LOW:
    case VIRTIO_MMIO_SHM_BASE_HIGH:
    case VIRTIO_MMIO_CONFIG_GENERATION:
        complain(t, C_READONLY, "%s: write to read-only register 0x%llx ignored", dev->name,
                 (unsigned long long)offset);
        break;
    default:
        complain(t, C_OFFSET, "%s: write to undefined register 0x%llx ignored", dev->name,
                 (unsigned long long)offset);
        break;
    }
}

/*
 * The transport-neutral VirtIO device. A device (rng, console, blk, ...) fills in a
 * virtio_device and a virtio_device_ops once; a transport (virtio-mmio now, virtio-pci
 * later) maps registers onto the virtio_* calls below. The core owns what every device
 * shares: feature negotiation, the status state machine, queue setup checks, config
 * generation and the decision to interrupt.
 *
 * Modern devices only: VIRTIO_F_VERSION_1 is always offered and must be accepted.
 */
#ifndef KITE_VIRTIO_DEVICE_H
#define KITE_VIRTIO_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/guest_mem.h"
#include "virtio/queue.h"

/* Device status bits (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

#define VIRTIO_F_VERSION_1 32

/* Interrupt reasons, as in the virtio-mmio InterruptStatus and the PCI ISR. */
#define VIRTIO_INT_USED 1
#define VIRTIO_INT_CONFIG 2

#define VIRTIO_MAX_QUEUES 16
#define VIRTIO_MAX_CONFIG 256

/* Device IDs (5). */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4

struct virtio_device;

struct virtio_device_ops {
    /* A queue the driver notified (only called while DRIVER_OK and the queue is ready). */
    void (*queue_notify)(struct virtio_device *dev, unsigned q);
    /* Back to the initial state. Requests the device still holds must be dropped with
     * virtq_drop() (the rings are gone; a late virtq_push() would be ignored anyway). */
    void (*reset)(struct virtio_device *dev);
    /* Optional: DRIVER_OK was just set; a device may start work (e.g. look at queues). */
    void (*driver_ok)(struct virtio_device *dev);
    /* Optional: the driver wrote the config space (offset + size <= config_len). The core
     * has already stored the bytes in dev->config; the device validates and reacts. */
    void (*config_write)(struct virtio_device *dev, uint32_t offset, unsigned size);
    /* Optional: the driver asks for FEATURES_OK with `features` (all offered, VERSION_1
     * among them). Return false to refuse a combination the device cannot honour (the
     * driver then sees FEATURES_OK clear). */
    bool (*validate_features)(struct virtio_device *dev, uint64_t features);
};

/* The queue argument of an interrupt that is not about one queue (config change). */
#define VIRTIO_NO_QUEUE 0xffffu

/* Filled in by the transport: how the core raises an interrupt or tells it of a reset. */
struct virtio_transport {
    void *opaque;
    /* VIRTIO_INT_USED for `queue`, or VIRTIO_INT_CONFIG with VIRTIO_NO_QUEUE: the queue
     * lets a transport pick a vector (virtio-pci MSI-X); virtio-mmio has one line. */
    void (*interrupt)(void *opaque, uint32_t reason, unsigned queue);
    void (*reset)(void *opaque);                         /* after a device reset */
};

struct virtio_device {
    /* Set by the device before virtio_device_init. */
    const char *name;
    uint32_t device_id;
    uint64_t features;          /* device-specific bits offered (the core adds its own) */
    uint32_t config_len;        /* bytes of config[] the driver sees */
    uint8_t config[VIRTIO_MAX_CONFIG];
    const struct virtio_device_ops *ops;
    void *opaque;               /* the device's own state */

    /* Owned by the core. */
    const struct guest_mem *mem;
    struct virtio_transport transport;
    uint64_t host_features;     /* everything offered */
    uint64_t guest_features;    /* what the driver wrote (honoured once FEATURES_OK stuck) */
    bool features_beyond_64;    /* the driver wrote a bit in feature word 2 or above */
    uint8_t status;
    uint32_t config_generation;
    unsigned num_queues;
    struct virtq queues[VIRTIO_MAX_QUEUES];
    char queue_names[VIRTIO_MAX_QUEUES][32];
    uint32_t logged;            /* log once per device and kind */
};

/*
 * Sets up the queues (max_sizes[i], 0 = VIRTQ_DEFAULT_MAX_SIZE) and the offered features.
 * Returns 0 or a negative errno.
 */
int virtio_device_init(struct virtio_device *dev, const struct guest_mem *mem,
                       unsigned num_queues, const uint16_t *max_sizes);
void virtio_device_cleanup(struct virtio_device *dev);

/* Called by transports. */
void virtio_set_status(struct virtio_device *dev, uint8_t status);
uint64_t virtio_get_features(const struct virtio_device *dev, unsigned sel);   /* 32 bits */
void virtio_set_driver_features(struct virtio_device *dev, unsigned sel, uint32_t value);
/*
 * Queue setup, the same for every transport: each setter checks that queue q exists and
 * may change (not after DRIVER_OK, not while enabled) and logs once otherwise. Sizes and
 * addresses are checked as a whole when the queue is enabled.
 */
enum virtq_area { VIRTQ_AREA_DESC, VIRTQ_AREA_DRIVER, VIRTQ_AREA_DEVICE };
int virtio_queue_set_size(struct virtio_device *dev, unsigned q, uint32_t size);
int virtio_queue_set_area(struct virtio_device *dev, unsigned q, enum virtq_area area,
                          uint64_t gpa);
/* The programmed address of an area (0 for an absent queue). */
uint64_t virtio_queue_area(const struct virtio_device *dev, unsigned q, enum virtq_area area);
/* Validates and starts (ready = true) or stops queue q. Returns 0 or -EINVAL. */
int virtio_queue_set_ready(struct virtio_device *dev, unsigned q, bool ready);
void virtio_queue_notified(struct virtio_device *dev, unsigned q);
/* Config space access by the driver: width 1, 2 or 4 (8 for PCI), little-endian. */
uint64_t virtio_config_read(struct virtio_device *dev, uint32_t offset, unsigned size);
void virtio_config_write(struct virtio_device *dev, uint32_t offset, uint64_t value,
                         unsigned size);
void virtio_device_reset(struct virtio_device *dev);

/* Called by devices. */
static inline struct virtq *virtio_queue(struct virtio_device *dev, unsigned q)
{
    return q < dev->num_queues ? &dev->queues[q] : NULL;
}
static inline bool virtio_has_feature(const struct virtio_device *dev, unsigned bit)
{
    return (dev->guest_features >> bit) & 1;
}
static inline bool virtio_driver_ok(const struct virtio_device *dev)
{
    return (dev->status & VIRTIO_STATUS_DRIVER_OK) &&
           !(dev->status & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED));
}
/* Pops the next request of queue q (see virtq_pop); 0 when there is none. */
int virtio_pop(struct virtio_device *dev, unsigned q, struct virtq_elem **elem);
/* Completes a request and interrupts the driver if it wants one. */
void virtio_complete(struct virtio_device *dev, unsigned q, struct virtq_elem *elem,
                     uint32_t written);
/* Interrupts the driver for queue q if it wants one (after a batch of virtq_push). */
void virtio_queue_kick_guest(struct virtio_device *dev, unsigned q);
/* The device changed its config space: bump the generation, config-change interrupt. */
void virtio_config_changed(struct virtio_device *dev);
/* Something went wrong that only a reset fixes: DEVICE_NEEDS_RESET + config interrupt. */
void virtio_needs_reset(struct virtio_device *dev);

/* Debugging (Ctrl-A d): status, features and each live queue's indices, as the device and
 * the driver see them, one line each on stderr. */
void virtio_device_dump(const struct virtio_device *dev);

#endif

/*
 * virtio-rng (device ID 4, VirtIO 1.2 5.4): one queue of device-writable buffers, each
 * filled from an entropy backend. A request is served up to VIRTIO_RNG_MAX_REQUEST bytes.
 *
 * Optional rate limit (token bucket, bytes per second with a burst): a request waits until
 * the bucket can pay for all of it (or is full, for one larger than the bucket: the excess is
 * owed) and is then filled whole, never short; meanwhile the device takes no more requests
 * and an event-loop timer resumes it. Requests wait; none is dropped, and nothing spins.
 */
#ifndef KITE_VIRTIO_RNG_H
#define KITE_VIRTIO_RNG_H

#include <stdbool.h>
#include <stdint.h>

#include "backend/entropy.h"
#include "core/event_loop.h"
#include "core/guest_mem.h"
#include "virtio/device.h"

#define VIRTIO_RNG_MAX_REQUEST (64u * 1024)

struct virtio_rng_config {
    uint64_t rate;      /* bytes per second; 0 = unlimited */
    uint64_t burst;     /* bucket size in bytes; 0 = rate */
    /* --icount: the bucket fills on guest time (clock_icount_ns), not the host's. */
    bool guest_time;
};

struct virtio_rng;

/* `loop` is needed only with a rate limit (its timer lives there); may be NULL otherwise. */
struct virtio_rng *virtio_rng_new(const struct guest_mem *mem, struct entropy_source source,
                                  const struct virtio_rng_config *cfg, struct event_loop *loop);
void virtio_rng_free(struct virtio_rng *rng);
struct virtio_device *virtio_rng_device(struct virtio_rng *rng);
/* Bytes handed to the guest so far (for tests and statistics). */
uint64_t virtio_rng_bytes_served(const struct virtio_rng *rng);

#endif

#include "virtio/rng.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/device_registry.h"
#include "core/log.h"
#include "virtio/rate_limit.h"

struct virtio_rng {
    struct log_limit log;        /* log-once state of this instance */
    struct virtio_device vdev;
    struct entropy_source source;
    struct rate_limit limit;
    struct event_loop *loop;
    struct event_timer timer;
    bool timer_added;
    struct virtq_elem *held;    /* the request waiting for tokens (at most one) */
    uint64_t served;
    struct entropy_seeded seeded; /* --icount: the source, replayed identically */
    bool guest_time;              /* the bucket and its timer run on guest time */
};

static uint64_t now_ns(const struct virtio_rng *r)
{
    return r->guest_time ? clock_icount_ns() : clock_host_ns();
}

/* Fills the writable part of `e` with up to `want` bytes; returns how many it wrote. */
static uint32_t fill(struct virtio_rng *r, struct virtq_elem *e, uint32_t want)
{
    uint32_t done = 0;
    for (unsigned i = 0; i < e->in_num && done < want; i++) {
        struct iovec *iov = &e->iov[e->out_num + i];
        size_t part = iov->iov_len < want - done ? iov->iov_len : want - done;
        size_t got = 0;
        while (got < part) {
            ssize_t n = r->source.read(r->source.opaque, (uint8_t *)iov->iov_base + got,
                                       part - got);
            if (n <= 0) {
                log_once_in(&r->log, LOG_WARN, "virtio-rng",
                            "entropy source failed (%d): short request",
                            (int)n);
                return done + (uint32_t)got;
            }
            got += (size_t)n;
        }
        done += (uint32_t)part;
    }
    return done;
}

static void process(struct virtio_rng *r)
{
    struct virtio_device *dev = &r->vdev;
    struct virtq *vq = &dev->queues[0];
    bool pushed = false;
    while (virtio_driver_ok(dev)) {
        struct virtq_elem *e = r->held;
        r->held = NULL;
        if (!e && !virtio_pop(dev, 0, &e))
            break;
        if (e->out_num) {
            log_once_in(&r->log, LOG_WARN, "virtio-rng",
                        "request with driver-readable buffers: failed");
            virtq_push(vq, e, 0);
            pushed = true;
            continue;
        }
        uint32_t want = e->in_len < VIRTIO_RNG_MAX_REQUEST ? (uint32_t)e->in_len
                                                           : VIRTIO_RNG_MAX_REQUEST;
        if (r->limit.rate) {
            /*
             * Serve a request whole or not yet, never a short part of it: the bounds check
             * in the copy_data() of Linux's driver (Debian's 6.12.117 has it) clamps what
             * it copies out of its 64-byte buffer to data_avail - data_idx, the bytes left
             * minus the bytes already taken. Once a completion is read in two pieces
             * with less than half taken first, a read comes back short with data left over,
             * so no new request is posted, and the reader then waits for a completion that
             * can never come. A short fill followed by a whole one is exactly that; so is
             * any bucket smaller than the buffer. The refill timer runs on the same clock
             * (the host's, or the guest's under --icount).
             */
            uint64_t now = now_ns(r);
            uint64_t got = rate_limit_take_whole(&r->limit, want, now);
            if (!got) {
                /* Wait for tokens: keep this request, stop taking more. */
                r->held = e;
                if (r->timer_added)
                    event_timer_arm(&r->timer, rate_limit_ready_at(&r->limit, want, now));
                break;
            }
            want = (uint32_t)got;
        }
        uint32_t n = fill(r, e, want);
        r->served += n;
        virtq_push(vq, e, n);
        pushed = true;
    }
    if (pushed)
        virtio_queue_kick_guest(dev, 0);
}

static void rng_queue_notify(struct virtio_device *dev, unsigned q)
{
    struct virtio_rng *r = dev->opaque;
    /* While a request waits for tokens, the timer will resume the queue. */
    if (!r->held)
        process(r);
}

static void rng_driver_ok(struct virtio_device *dev)
{
    process(dev->opaque);
}

static void rng_reset(struct virtio_device *dev)
{
    struct virtio_rng *r = dev->opaque;
    if (r->held) {
        virtq_drop(&dev->queues[0], r->held);
        r->held = NULL;
    }
    event_timer_disarm(&r->timer);
    /* The bucket is not refilled: resetting must not buy a guest more entropy. */
}

static void on_timer(void *opaque)
{
    process(opaque);
}

static const struct virtio_device_ops rng_ops = {
    .queue_notify = rng_queue_notify,
    .reset = rng_reset,
    .driver_ok = rng_driver_ok,
};

struct virtio_rng *virtio_rng_new(const struct guest_mem *mem, struct entropy_source source,
                                  const struct virtio_rng_config *cfg, struct event_loop *loop)
{
    if (!source.read)
        return NULL;
    struct virtio_rng *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->source = source;
    r->vdev.name = "virtio-rng";
    r->vdev.device_id = VIRTIO_ID_RNG;
    r->vdev.ops = &rng_ops;
    r->vdev.opaque = r;
    if (virtio_device_init(&r->vdev, mem, 1, NULL) < 0) {
        free(r);
        return NULL;
    }
    r->guest_time = cfg && cfg->guest_time;
    r->timer = (struct event_timer){.fire = on_timer, .opaque = r, .guest_time = r->guest_time};
    if (cfg && cfg->rate) {
        rate_limit_init(&r->limit, cfg->rate, cfg->burst, now_ns(r));
        if (!loop || event_loop_add_timer(loop, &r->timer) < 0) {
            log_error("virtio-rng", "a rate limit needs an event-loop timer");
            virtio_rng_free(r);
            return NULL;
        }
        r->loop = loop;
        r->timer_added = true;
    }
    return r;
}

void virtio_rng_free(struct virtio_rng *r)
{
    if (!r)
        return;
    if (r->held)
        virtq_drop(&r->vdev.queues[0], r->held);
    if (r->timer_added)
        event_loop_remove_timer(r->loop, &r->timer);
    virtio_device_cleanup(&r->vdev);
    free(r);
}

struct virtio_device *virtio_rng_device(struct virtio_rng *r)
{
    return &r->vdev;
}

uint64_t virtio_rng_bytes_served(const struct virtio_rng *r)
{
    return r->served;
}

/* --rng [rate=N[,burst=N]]: registration with the device model. */

static void *rng_parse(struct dev_opts *o, char *why, size_t len)
{
    bool dup = false;
    const struct dev_opt *rate = dev_opts_take(o, "rate", &dup);
    const struct dev_opt *burst = dev_opts_take(o, "burst", &dup);
    struct virtio_rng_config *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    const char *bad = NULL;
    if (dup)
        bad = "rate= and burst= may each be given once";
    else if (burst && !rate)
        bad = "burst= needs rate=";
    else if (rate && (dev_parse_size(rate->value, &c->rate) < 0 || c->rate == 0))
        bad = "rate= is a positive number of bytes per second (K, M, G suffixes)";
    else if (burst && (dev_parse_size(burst->value, &c->burst) < 0 || c->burst == 0))
        bad = "burst= is a positive number of bytes (K, M, G suffixes)";
    if (bad) {
        snprintf(why, len, "%s", bad);
        free(c);
        return NULL;
    }
    return c;
}

static struct virtio_device *rng_create(void *const *cfgs, unsigned n,
                                        const struct device_env *env, void **state)
{
    struct virtio_rng_config cfg = *(const struct virtio_rng_config *)cfgs[0];
    cfg.guest_time = env->deterministic;
    struct virtio_rng *r = virtio_rng_new(env->mem, entropy_getrandom(), &cfg, env->loop);
    if (r && env->deterministic) {
        entropy_seeded_init(&r->seeded, ENTROPY_SEED_RNG);
        r->source = entropy_seeded_source(&r->seeded);
    }
    *state = r;
    return r ? virtio_rng_device(r) : NULL;
}

static void rng_destroy(void *state)
{
    virtio_rng_free(state);
}

static const struct device_type rng_type = {
    .name = "rng",
    .usage = "[rate=BYTES_PER_SEC[,burst=BYTES]]",
    .help = "add a virtio-rng device fed by the host's getrandom() (under --icount a\n"
            "fixed, predictable stream); with rate=, a token bucket limits it (burst\n"
            "defaults to the rate; K, M, G suffixes), e.g. --rng rate=1K,burst=4K",
    .optional_value = true,
    .max_instances = 1,
    .order = 40,
    .parse = rng_parse,
    .free_config = free,
    .create = rng_create,
    .destroy = rng_destroy,
};
DEVICE_TYPE_REGISTER(rng_type)

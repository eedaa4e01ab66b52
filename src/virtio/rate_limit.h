/*
 * A token bucket (as Firecracker's rate limiters): `rate` tokens per second accrue up to
 * `burst`; a consumer takes what is there and waits for the rest. rate 0 = unlimited.
 * Times are host nanoseconds (clock_host_ns) passed in, so tests can drive the clock.
 */
#ifndef KITE_VIRTIO_RATE_LIMIT_H
#define KITE_VIRTIO_RATE_LIMIT_H

#include <stdint.h>

struct rate_limit {
    uint64_t rate;      /* tokens per second, 0 = unlimited */
    uint64_t burst;     /* bucket size */
    uint64_t tokens;
    uint64_t last_ns;   /* time up to which tokens have been credited */
};

/* The bucket starts full. burst 0 means burst = rate. */
void rate_limit_init(struct rate_limit *rl, uint64_t rate, uint64_t burst, uint64_t now_ns);
/* Takes up to `want` tokens; returns how many it got (0 when the bucket is empty). */
uint64_t rate_limit_take(struct rate_limit *rl, uint64_t want, uint64_t now_ns);
/*
 * All or nothing: once min(want, burst) tokens are there, takes `want` and returns it, else
 * takes nothing and returns 0. A take beyond the bucket empties it and owes the rest, which
 * the following refills pay first, so the long-run rate holds for requests of any size.
 */
uint64_t rate_limit_take_whole(struct rate_limit *rl, uint64_t want, uint64_t now_ns);
/* When min(want, burst) tokens will be there (now_ns if already). */
uint64_t rate_limit_ready_at(struct rate_limit *rl, uint64_t want, uint64_t now_ns);

#endif

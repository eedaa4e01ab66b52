/*
 * Entropy backends: where a virtio-rng device gets its bytes. The device never calls the
 * host OS itself; tests and fuzzers plug in a deterministic source.
 */
#ifndef KITE_BACKEND_ENTROPY_H
#define KITE_BACKEND_ENTROPY_H

#include <stddef.h>
#include <sys/types.h>

struct entropy_source {
    /* Fills up to len bytes; returns how many (> 0), or a negative errno. */
    ssize_t (*read)(void *opaque, void *buf, size_t len);
    void *opaque;
};

/* The host kernel's CSPRNG through getrandom(2). */
struct entropy_source entropy_getrandom(void);

#endif

/*
 * Entropy backends: where a virtio-rng device gets its bytes. The device never calls the
 * host OS itself; tests and fuzzers plug in a deterministic source.
 */
#ifndef KITE_BACKEND_ENTROPY_H
#define KITE_BACKEND_ENTROPY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct entropy_source {
    /* Fills up to len bytes; returns how many (> 0), or a negative errno. */
    ssize_t (*read)(void *opaque, void *buf, size_t len);
    void *opaque;
};

/* The host kernel's CSPRNG through getrandom(2). */
struct entropy_source entropy_getrandom(void);

/*
 * A fixed stream for --icount, where a run must replay exactly: the same bytes from the
 * same seed, every run. Predictable by design (SplitMix64), so never a secret's source.
 */
struct entropy_seeded {
    uint64_t state;
};
#define ENTROPY_SEED_RNG 0x6b6974652d726e67ULL   /* the virtio-rng's stream */
#define ENTROPY_SEED_FDT 0x6b6974652d666474ULL   /* the device tree's rng-seed */
void entropy_seeded_init(struct entropy_seeded *s, uint64_t seed);
void entropy_seeded_fill(struct entropy_seeded *s, void *buf, size_t len);
/* A source reading `s` (which must outlive it). */
struct entropy_source entropy_seeded_source(struct entropy_seeded *s);

#endif

#define _GNU_SOURCE
#include "backend/entropy.h"

#include <errno.h>
#include <string.h>
#include <limits.h>
#include <sys/random.h>

static ssize_t getrandom_read(void *opaque, void *buf, size_t len)
{
    for (;;) {
        ssize_t n = getrandom(buf, len, 0);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return -errno;
    }
}

struct entropy_source entropy_getrandom(void)
{
    return (struct entropy_source){.read = getrandom_read, .opaque = NULL};
}

void entropy_seeded_init(struct entropy_seeded *s, uint64_t seed)
{
    s->state = seed;
}

/* SplitMix64 (Steele, Lea, Flood 2014): a Weyl sequence through a 64-bit finalizer. */
static uint64_t seeded_next(struct entropy_seeded *s)
{
    uint64_t z = (s->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void entropy_seeded_fill(struct entropy_seeded *s, void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len) {
        uint64_t v = seeded_next(s);
        size_t n = len < sizeof(v) ? len : sizeof(v);
        memcpy(p, &v, n);
        p += n;
        len -= n;
    }
}

static ssize_t seeded_read(void *opaque, void *buf, size_t len)
{
    if (len > SSIZE_MAX)
        len = SSIZE_MAX;
    entropy_seeded_fill(opaque, buf, len);
    return (ssize_t)len;
}

struct entropy_source entropy_seeded_source(struct entropy_seeded *s)
{
    return (struct entropy_source){.read = seeded_read, .opaque = s};
}

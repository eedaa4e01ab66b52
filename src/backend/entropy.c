#define _GNU_SOURCE
#include "backend/entropy.h"

#include <errno.h>
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

#include "core/clock.h"

#include <time.h>

static uint64_t mtime_origin_ns;

uint64_t clock_host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t clock_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void clock_mtime_reset(void)
{
    mtime_origin_ns = clock_host_ns();
}

uint64_t clock_mtime(void)
{
    return (clock_host_ns() - mtime_origin_ns) / (1000000000ULL / CLOCK_TIMEBASE_HZ);
}

uint64_t clock_ns_until_mtime(uint64_t deadline)
{
    uint64_t now = clock_mtime();
    if (deadline <= now)
        return 0;
    uint64_t ticks = deadline - now;
    const uint64_t ns_per_tick = 1000000000ULL / CLOCK_TIMEBASE_HZ;
    if (ticks > UINT64_MAX / ns_per_tick)
        return UINT64_MAX;
    return ticks * ns_per_tick;
}

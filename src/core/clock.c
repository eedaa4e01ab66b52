#include "core/clock.h"

#include <errno.h>
#include <time.h>

#define NS_PER_TICK (1000000000ULL / CLOCK_TIMEBASE_HZ)

static uint64_t mtime_origin_ns;
static uint64_t paused_at_ns;      /* 0 while time runs */

/* --icount state: guest time is a function of the instruction count, never of the host. */
static struct {
    bool on;
    unsigned shift;
    uint64_t (*count)(void *opaque);
    void *opaque;
    uint64_t origin;               /* count at the last reset */
    uint64_t warp_ns;              /* idle time skipped since the last reset */
    uint64_t past_boots_ns;        /* guest time of the boots before this one (the RTC's) */
} ic;

uint64_t clock_host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int clock_icount_enable(unsigned shift)
{
    if (shift > CLOCK_ICOUNT_MAX_SHIFT)
        return -EINVAL;
    ic.on = true;
    ic.shift = shift;
    return 0;
}

bool clock_icount_enabled(void)
{
    return ic.on;
}

uint64_t clock_icount_ns(void)
{
    uint64_t n = ic.count ? ic.count(ic.opaque) - ic.origin : 0;
    return (n << ic.shift) + ic.warp_ns;
}

void clock_icount_attach(uint64_t (*count)(void *opaque), void *opaque)
{
    /* The RTC runs on across reboots: bank this boot's time before its hart goes away. */
    if (ic.on)
        ic.past_boots_ns += clock_icount_ns();
    ic.count = count;
    ic.opaque = opaque;
    ic.origin = count ? count(opaque) : 0;
    ic.warp_ns = 0;
}

uint64_t clock_mtime_to_ns(uint64_t deadline)
{
    return deadline > UINT64_MAX / NS_PER_TICK ? UINT64_MAX : deadline * NS_PER_TICK;
}

uint64_t clock_icount_insns_until(uint64_t target)
{
    if (target == UINT64_MAX)
        return UINT64_MAX;
    uint64_t now = clock_icount_ns();
    if (now >= target)
        return 0;
    uint64_t d = target - now;
    uint64_t mask = (1ULL << ic.shift) - 1;
    return (d >> ic.shift) + ((d & mask) != 0);
}

void clock_icount_warp_to(uint64_t target)
{
    uint64_t now = clock_icount_ns();
    if (target > now)
        ic.warp_ns += target - now;
}

uint64_t clock_wall_ns(void)
{
    if (ic.on)
        return CLOCK_ICOUNT_EPOCH_NS + ic.past_boots_ns + clock_icount_ns();
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void clock_mtime_reset(void)
{
    if (ic.on) {
        ic.origin = ic.count ? ic.count(ic.opaque) : 0;
        ic.warp_ns = 0;
        return;
    }
    mtime_origin_ns = clock_host_ns();
    if (paused_at_ns)
        paused_at_ns = mtime_origin_ns;
}

/* Under --icount a stopped hart retires nothing, so its time stands still by itself. */
void clock_mtime_pause(void)
{
    if (!ic.on && !paused_at_ns)
        paused_at_ns = clock_host_ns();
}

void clock_mtime_resume(void)
{
    if (!ic.on && paused_at_ns) {
        mtime_origin_ns += clock_host_ns() - paused_at_ns;
        paused_at_ns = 0;
    }
}

uint64_t clock_mtime(void)
{
    if (ic.on)
        return clock_icount_ns() / NS_PER_TICK;
    uint64_t now = paused_at_ns ? paused_at_ns : clock_host_ns();
    return (now - mtime_origin_ns) / NS_PER_TICK;
}

uint64_t clock_ns_until_mtime(uint64_t deadline)
{
    uint64_t now = clock_mtime();
    if (deadline <= now)
        return 0;
    uint64_t ticks = deadline - now;
    if (ticks > UINT64_MAX / NS_PER_TICK)
        return UINT64_MAX;
    return ticks * NS_PER_TICK;
}

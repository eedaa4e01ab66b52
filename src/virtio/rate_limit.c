#include "virtio/rate_limit.h"

#define NS_PER_SEC 1000000000ULL

void rate_limit_init(struct rate_limit *rl, uint64_t rate, uint64_t burst, uint64_t now_ns)
{
    rl->rate = rate;
    rl->burst = burst ? burst : rate;
    rl->tokens = rl->burst;
    rl->last_ns = now_ns;
}

static void refill(struct rate_limit *rl, uint64_t now)
{
    if (now <= rl->last_ns || rl->tokens >= rl->burst) {
        if (rl->tokens >= rl->burst)
            rl->last_ns = now > rl->last_ns ? now : rl->last_ns;
        return;
    }
    unsigned __int128 add = (unsigned __int128)(now - rl->last_ns) * rl->rate / NS_PER_SEC;
    if (add >= rl->burst - rl->tokens) {
        rl->tokens = rl->burst;
        rl->last_ns = now;
        return;
    }
    rl->tokens += (uint64_t)add;
    /* Credit only the time those whole tokens took, so fractions are not lost. */
    rl->last_ns += (uint64_t)((add * NS_PER_SEC + rl->rate - 1) / rl->rate);
}

uint64_t rate_limit_take(struct rate_limit *rl, uint64_t want, uint64_t now_ns)
{
    if (!rl->rate)
        return want;
    refill(rl, now_ns);
    uint64_t got = want < rl->tokens ? want : rl->tokens;
    rl->tokens -= got;
    return got;
}

uint64_t rate_limit_take_whole(struct rate_limit *rl, uint64_t want, uint64_t now_ns)
{
    if (!rl->rate)
        return want;
    refill(rl, now_ns);
    uint64_t target = want < rl->burst ? want : rl->burst;
    if (rl->tokens < target)
        return 0;
    if (want <= rl->tokens) {
        rl->tokens -= want;
        return want;
    }
    /*
     * Tokens are credited from last_ns on: a debt moves that point later by the time the
     * owed tokens take to accrue, so none accrue before it is paid.
     */
    unsigned __int128 owed_ns =
        ((unsigned __int128)(want - rl->tokens) * NS_PER_SEC + rl->rate - 1) / rl->rate;
    unsigned __int128 from = (unsigned __int128)rl->last_ns + owed_ns;
    rl->last_ns = from > UINT64_MAX ? UINT64_MAX : (uint64_t)from;
    rl->tokens = 0;
    return want;
}

uint64_t rate_limit_ready_at(struct rate_limit *rl, uint64_t want, uint64_t now_ns)
{
    if (!rl->rate)
        return now_ns;
    refill(rl, now_ns);
    uint64_t target = want < rl->burst ? want : rl->burst;
    if (rl->tokens >= target)
        return now_ns;
    unsigned __int128 need = target - rl->tokens;
    /* Tokens accrue from last_ns (the fraction of a token since then is not lost). */
    unsigned __int128 at = rl->last_ns + (need * NS_PER_SEC + rl->rate - 1) / rl->rate;
    if (at > UINT64_MAX)
        return UINT64_MAX;
    return (uint64_t)at > now_ns ? (uint64_t)at : now_ns;
}

/*
 * Time as the guest sees it: by default the host's clocks; under --icount (deterministic
 * mode) a count of retired guest instructions, so the same inputs replay exactly.
 */
#ifndef KITE_CORE_CLOCK_H
#define KITE_CORE_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* The RISC-V timebase (mtime ticks per second), as on QEMU's virt board. */
#define CLOCK_TIMEBASE_HZ 10000000ULL

/* --icount: each instruction is worth 2^shift ns of guest time (as QEMU's -icount shift). */
#define CLOCK_ICOUNT_MAX_SHIFT 10
#define CLOCK_ICOUNT_DEFAULT_SHIFT 0
/* Under --icount the guest's wall clock (the RTC) starts at 2024-01-01T00:00:00Z. */
#define CLOCK_ICOUNT_EPOCH_NS (1704067200ULL * 1000000000ULL)

uint64_t clock_host_ns(void);      /* CLOCK_MONOTONIC in nanoseconds */
/* The guest's wall clock, in nanoseconds since the Unix epoch: CLOCK_REALTIME, or under
 * --icount CLOCK_ICOUNT_EPOCH_NS plus the guest time of every boot so far. */
uint64_t clock_wall_ns(void);
void clock_mtime_reset(void);      /* mtime restarts at 0 (machine reset) */
/* A stopped machine's time stands still (QMP stop/cont), as QEMU's virtual clock does. */
void clock_mtime_pause(void);
void clock_mtime_resume(void);
uint64_t clock_mtime(void);        /* ticks of CLOCK_TIMEBASE_HZ since the last reset */
/* Host nanoseconds until mtime reaches `deadline` (0 if already passed). Under --icount,
 * guest nanoseconds: nothing on the host has to pass for the guest's time to. */
uint64_t clock_ns_until_mtime(uint64_t deadline);

/*
 * Deterministic mode. clock_icount_enable() switches every clock above to guest time
 * counted by `count(opaque)`, a monotonic count of retired instructions (the hart's),
 * attached with clock_icount_attach() before clock_mtime_reset() at each boot. mtime is
 * then (instructions since the reset << shift, plus time skipped by warps) / 100 ns.
 */
int clock_icount_enable(unsigned shift);   /* -EINVAL for a shift beyond the maximum */
bool clock_icount_enabled(void);
void clock_icount_attach(uint64_t (*count)(void *opaque), void *opaque);
/* Guest nanoseconds since the last reset. */
uint64_t clock_icount_ns(void);
/* Guest nanoseconds at mtime `deadline` (saturating: UINT64_MAX stays out of reach). */
uint64_t clock_mtime_to_ns(uint64_t deadline);
/* Instructions still to retire before clock_icount_ns() reaches `deadline_ns` (0 if it
 * has; at least 1 otherwise; UINT64_MAX for UINT64_MAX). */
uint64_t clock_icount_insns_until(uint64_t deadline_ns);
/* An idle guest (wfi, nothing pending) skips ahead: clock_icount_ns() becomes at least
 * `deadline_ns` without instructions retiring. Never moves time backwards. */
void clock_icount_warp_to(uint64_t deadline_ns);

#endif

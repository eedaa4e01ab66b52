/* Host time as the guest sees it. */
#ifndef KITE_CORE_CLOCK_H
#define KITE_CORE_CLOCK_H

#include <stdint.h>

/* The RISC-V timebase (mtime ticks per second), as on QEMU's virt board. */
#define CLOCK_TIMEBASE_HZ 10000000ULL

uint64_t clock_host_ns(void);      /* CLOCK_MONOTONIC in nanoseconds */
uint64_t clock_wall_ns(void);      /* CLOCK_REALTIME: nanoseconds since the Unix epoch */
void clock_mtime_reset(void);      /* mtime restarts at 0 (machine reset) */
uint64_t clock_mtime(void);        /* ticks of CLOCK_TIMEBASE_HZ since the last reset */
/* Host nanoseconds until mtime reaches `deadline` (0 if already passed). */
uint64_t clock_ns_until_mtime(uint64_t deadline);

#endif

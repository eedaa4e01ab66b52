/*
 * SiFive CLINT as on QEMU's virt board: msip (software interrupt) per hart at 4*h,
 * mtimecmp per hart at 0x4000 + 8*h, mtime at 0xbff8 (read from the host clock).
 * mtimecmp itself lives in the hart, which compares it against mtime.
 */
#ifndef KITE_HW_CLINT_H
#define KITE_HW_CLINT_H

#include <stdint.h>

#include "core/mmio.h"
#include "hw/hart_if.h"

struct clint;

#define CLINT_REGION_SIZE 0x10000ULL    /* == VIRT_CLINT_SIZE */
#define CLINT_MAX_HARTS   4095          /* msip array ends where mtimecmp begins */

/* `harts` is copied; returns NULL on a bad hart count, a NULL hart or allocation failure. */
struct clint *clint_new(const struct hart_if *harts, int nharts);
void clint_free(struct clint *c);
struct mmio_region clint_region(struct clint *c, uint64_t base);

#endif

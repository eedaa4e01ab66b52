/*
 * SiFive PLIC as on QEMU's virt board: sources 1..VIRT_PLIC_SOURCES, two contexts per hart
 * (2h drives the hart's MEIP, 2h+1 its SEIP), level-triggered gateways.
 */
#ifndef KITE_HW_PLIC_H
#define KITE_HW_PLIC_H

#include <stdint.h>

#include "core/mmio.h"
#include "hw/hart_if.h"

struct plic;

#define PLIC_REGION_SIZE 0x600000ULL    /* == VIRT_PLIC_SIZE */
#define PLIC_MAX_HARTS   64             /* the map has room for 512; kite needs far fewer */

/*
 * `harts` is copied; the harts must outlive the PLIC. Returns NULL if nharts is out of
 * 1..PLIC_MAX_HARTS, a hart is NULL, or allocation fails.
 */
struct plic *plic_new(const struct hart_if *harts, int nharts);
void plic_free(struct plic *p);
struct mmio_region plic_region(struct plic *p, uint64_t base);
/* An irq_line.set: opaque is the plic, source is 1..VIRT_PLIC_SOURCES, level 0 or not. */
void plic_set_irq(void *opaque, int source, int level);

#endif

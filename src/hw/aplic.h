/*
 * RISC-V APLIC (AIA 1.0, chapter 4) in MSI delivery mode: a root M-level domain and one
 * S-level child domain, APLIC_NUM_SOURCES wired sources. A source that is pending and
 * enabled in the domain that owns it (the root, or the child when the root delegates it)
 * is forwarded as an MSI, to the M- or S-level interrupt file of the target hart, at the
 * address the root domain's mmsiaddrcfg/smsiaddrcfg registers describe.
 *
 * Direct delivery (the IDCs at 0x4000) is not implemented: domaincfg.DM reads as 1.
 */
#ifndef KITE_HW_APLIC_H
#define KITE_HW_APLIC_H

#include <stdint.h>

#include "core/mmio.h"
#include "core/msi.h"

#define APLIC_NUM_SOURCES  96        /* sources 1..96, as QEMU virt's riscv,num-sources */
#define APLIC_DOMAIN_SIZE  0x8000ULL /* each domain's register window, as QEMU virt */

enum aplic_domain_id { APLIC_DOMAIN_M = 0, APLIC_DOMAIN_S = 1 };

struct aplic;

/* MSIs go to `sink`. NULL if allocation fails. */
struct aplic *aplic_new(struct msi_sink sink);
void aplic_free(struct aplic *a);
struct mmio_region aplic_region(struct aplic *a, enum aplic_domain_id domain, uint64_t base);
/* An irq_line.set: opaque is the aplic, source is 1..APLIC_NUM_SOURCES, level 0 or not. */
void aplic_set_irq(void *opaque, int source, int level);

#endif

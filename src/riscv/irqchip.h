/*
 * The board's interrupt controller, chosen by --irqchip: the PLIC, or the AIA (an APLIC
 * with M and S domains in MSI mode plus an IMSIC per hart). The machine asks it for a
 * device's line by source number and never sees which controller is behind it.
 */
#ifndef KITE_RISCV_IRQCHIP_H
#define KITE_RISCV_IRQCHIP_H

#include "core/irq.h"
#include "core/mmio.h"
#include "core/msi.h"
#include "riscv/cpu.h"

enum rv_irqchip_kind { RV_IRQCHIP_PLIC = 0, RV_IRQCHIP_AIA };

struct rv_irqchip {
    enum rv_irqchip_kind kind;
    struct plic *plic;
    struct aplic *aplic;
    struct imsic *imsic;
};

/*
 * Builds the controller for `hart` (kite has one) and maps its registers on `bus`; with
 * AIA it also gives the hart its IMSIC. Returns 0 or a negative errno (logged); on failure
 * rv_irqchip_destroy still cleans up.
 */
int rv_irqchip_create(struct rv_irqchip *ic, enum rv_irqchip_kind kind, struct rv_cpu *hart,
                      struct mmio_bus *bus);
void rv_irqchip_destroy(struct rv_irqchip *ic);
/* The wired interrupt `source` (the PLIC/APLIC source number, 1..95). */
struct irq_line rv_irqchip_line(const struct rv_irqchip *ic, int source);

/*
 * Where MSIs go (PCI MSI-X will take it): the IMSICs under AIA. Under the PLIC there is
 * nothing to receive them: the sink's send is NULL and a device falls back to INTx.
 */
struct msi_sink rv_irqchip_msi_sink(const struct rv_irqchip *ic);

#endif

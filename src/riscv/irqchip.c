/* Builds the board's interrupt controller: the PLIC, or the APLIC and IMSICs of the AIA. */
#include "riscv/irqchip.h"

#include <errno.h>
#include <string.h>

#include "core/log.h"
#include "hw/aplic.h"
#include "hw/imsic.h"
#include "hw/plic.h"
#include "riscv/virt_map.h"

/* The device tree describes the devices with virt_map.h's numbers: they must agree. */
_Static_assert(VIRT_IMSIC_IDS == IMSIC_NUM_IDS, "IMSIC identities differ from the tree");
_Static_assert(VIRT_APLIC_SOURCES == APLIC_NUM_SOURCES, "APLIC sources differ from the tree");
_Static_assert(VIRT_APLIC_SIZE == APLIC_DOMAIN_SIZE, "APLIC window differs from the tree");
_Static_assert(VIRT_IMSIC_FILE_SIZE == IMSIC_FILE_SIZE, "IMSIC file size differs");

static int map(struct mmio_bus *bus, struct mmio_region r)
{
    int ret = mmio_bus_add(bus, &r);
    if (ret < 0)
        log_error("machine", "cannot map %s at 0x%llx: %s", r.name, (unsigned long long)r.base,
                  strerror(-ret));
    return ret;
}

static int create_aia(struct rv_irqchip *ic, struct rv_cpu *hart, struct mmio_bus *bus)
{
    struct hart_if h = rv_cpu_hart_if(hart);
    ic->imsic = imsic_new(&h, 1, VIRT_IMSIC_M_BASE, VIRT_IMSIC_S_BASE);
    if (!ic->imsic)
        return -ENOMEM;
    ic->aplic = aplic_new(imsic_msi_sink(ic->imsic));
    if (!ic->aplic)
        return -ENOMEM;
    struct hart_irq_files files = imsic_hart_files(ic->imsic, 0);
    rv_cpu_attach_irq_files(hart, &files);
    int ret;
    if ((ret = map(bus, imsic_region(ic->imsic, HART_FILE_M))) < 0 ||
        (ret = map(bus, imsic_region(ic->imsic, HART_FILE_S))) < 0 ||
        (ret = map(bus, aplic_region(ic->aplic, APLIC_DOMAIN_M, VIRT_APLIC_M_BASE))) < 0 ||
        (ret = map(bus, aplic_region(ic->aplic, APLIC_DOMAIN_S, VIRT_APLIC_S_BASE))) < 0)
        return ret;
    return 0;
}

int rv_irqchip_create(struct rv_irqchip *ic, enum rv_irqchip_kind kind, struct rv_cpu *hart,
                      struct mmio_bus *bus)
{
    memset(ic, 0, sizeof(*ic));
    ic->kind = kind;
    if (kind == RV_IRQCHIP_AIA)
        return create_aia(ic, hart, bus);
    struct hart_if h = rv_cpu_hart_if(hart);
    ic->plic = plic_new(&h, 1);
    if (!ic->plic)
        return -ENOMEM;
    return map(bus, plic_region(ic->plic, VIRT_PLIC_BASE));
}

void rv_irqchip_destroy(struct rv_irqchip *ic)
{
    plic_free(ic->plic);
    aplic_free(ic->aplic);
    imsic_free(ic->imsic);
    memset(ic, 0, sizeof(*ic));
}

struct irq_line rv_irqchip_line(const struct rv_irqchip *ic, int source)
{
    if (ic->kind == RV_IRQCHIP_AIA)
        return (struct irq_line){.set = aplic_set_irq, .opaque = ic->aplic, .line = source};
    return (struct irq_line){.set = plic_set_irq, .opaque = ic->plic, .line = source};
}

struct msi_sink rv_irqchip_msi_sink(const struct rv_irqchip *ic)
{
    if (ic->kind == RV_IRQCHIP_AIA && ic->imsic)
        return imsic_msi_sink(ic->imsic);
    return (struct msi_sink){0};
}

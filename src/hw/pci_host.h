/*
 * A generic PCIe host bridge with ECAM, as on QEMU's virt board, so Linux's
 * `pci-host-ecam-generic` driver binds from the device tree alone (pci_host_fdt).
 *
 * What the guest sees:
 * - ECAM: 256 buses x 32 devices x 8 functions x 4 KiB. Only bus 0, function 0 of each
 *   occupied slot exists; everything else reads all-ones at every width (1, 2, 4, 8) and
 *   ignores writes. 8-byte accesses are two 4-byte ones, low dword first.
 * - Slot 0 holds the host bridge function itself (vendor 0x1b36, device 0x0008, class
 *   0x0600, as QEMU's gpex); devices go in slots 1..31.
 * - Three windows, registered on kite's MMIO bus by pci_host_map: PCI I/O (CPU io_base
 *   maps PCI I/O address 0), and two memory windows where the PCI address is the CPU
 *   address (below and above 4 GiB).
 * - INTx: device in slot S, pin P (1..4 = INTA..INTD) drives intx[(S + P - 1) % 4], the
 *   standard swizzle that the device tree's interrupt-map describes. Lines are shared:
 *   a line is high while any device on it asserts.
 *
 * Where a BAR decodes (recomputed whenever a BAR or a command register changes):
 * - only while the device says it decodes (hw/pci.h: space enabled, fully programmed),
 * - only when the whole BAR lies inside one window of its kind (I/O BARs in the I/O
 *   window, memory BARs in either memory window). A BAR anywhere else, over RAM, over
 *   another device or wrapping past the top of the address space, decodes nothing: the
 *   windows are the bridge's only regions on the bus, so RAM and other devices are never
 *   shadowed.
 * - When two decoding BARs overlap, the one in the lower slot (then the lower BAR index)
 *   wins and the other decodes nothing until the overlap is gone. Logged once.
 * - Window addresses no BAR claims read all-ones and drop writes; so does an access that
 *   runs past the end of the BAR it starts in.
 */
#ifndef KITE_HW_PCI_HOST_H
#define KITE_HW_PCI_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "core/irq.h"
#include "core/mmio.h"
#include "core/msi.h"
#include "hw/pci.h"

#define PCI_HOST_ECAM_SIZE  (256ULL << 20)  /* 256 buses x 1 MiB */
#define PCI_HOST_SLOTS      32
#define PCI_HOST_FIRST_SLOT 1               /* slot 0 is the host bridge function */
#define PCI_HOST_BRIDGE_VENDOR 0x1b36
#define PCI_HOST_BRIDGE_DEVICE 0x0008

struct pci_host_config {
    uint64_t ecam_base;                 /* PCI_HOST_ECAM_SIZE bytes */
    uint64_t io_base, io_size;          /* CPU address of PCI I/O port 0; window size */
    uint64_t mmio32_base, mmio32_size;  /* PCI address == CPU address; below 4 GiB */
    uint64_t mmio64_base, mmio64_size;  /* PCI address == CPU address */
    /* INTA..INTD at slot 0; .line is also the interrupt controller source number that
     * pci_host_fdt writes into interrupt-map. */
    struct irq_line intx[4];
    struct msi_sink msi;                /* .send NULL: no MSI controller */
};

struct pci_host;

/* Returns NULL on allocation failure or a window that is empty, wraps or (mmio32) ends
 * above 4 GiB. The config is copied. */
struct pci_host *pci_host_new(const struct pci_host_config *cfg);
/* Unplugs every device (they stay allocated: their owners free them) and frees the
 * host. NULL is fine. */
void pci_host_free(struct pci_host *h);

/* Adds the ECAM and the three windows to `bus`. Returns 0 or mmio_bus_add's error. */
int pci_host_map(struct pci_host *h, struct mmio_bus *bus);

/*
 * Plugs `d` into `slot` (PCI_HOST_FIRST_SLOT..PCI_HOST_SLOTS-1), or the lowest free slot
 * when slot < 0. Returns the slot, -EINVAL (bad slot), -EBUSY (slot taken, or d is
 * already plugged) or -ENOSPC (no free slot).
 */
int pci_host_plug(struct pci_host *h, struct pci_device *d, int slot);
/* The device in `slot` (slot 0: the host bridge function), or NULL. */
struct pci_device *pci_host_device(const struct pci_host *h, int slot);

/*
 * Which BAR decodes bus address `addr` in I/O space (io) or memory space: the device,
 * with *bar and *offset within it, or NULL.
 */
struct pci_device *pci_host_decode(const struct pci_host *h, bool io, uint64_t addr, int *bar,
                                   uint64_t *offset);

/*
 * Writes the node "pci@<ecam_base>" (compatible "pci-host-ecam-generic") into `fdt`, a
 * device tree under construction with libfdt's sequential-write calls, inside the node
 * that is open (the board's /soc). intc_phandle is the interrupt controller of the INTx
 * sources; msi_phandle, if not 0, becomes msi-parent. Returns 0 or a libfdt error.
 */
int pci_host_fdt(void *fdt, const struct pci_host_config *cfg, uint32_t intc_phandle,
                 unsigned intc_cells,
                 uint32_t msi_phandle);

#endif

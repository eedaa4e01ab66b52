/*
 * The virtio-pci transport, modern only (VirtIO 1.2, 4.1): a PCI function with vendor
 * 0x1af4, device 0x1040 + the VirtIO device ID, revision 1, in front of the same VirtIO
 * core as virtio-mmio.
 *
 * Layout (QEMU's, which Linux and every other driver know well):
 *   BAR 1 (32-bit memory, 4 KiB): the MSI-X table at 0 and its PBA at 0x800; one vector per
 *        queue plus one for configuration changes.
 *   BAR 4 (64-bit memory, 16 KiB): common configuration at 0x0000, ISR status at 0x1000,
 *        device configuration at 0x2000, notifications at 0x3000 (queue q at 4 * q).
 * Capabilities: common, notify (multiplier 4), ISR, device and the PCI-configuration
 * access window (virtio_pci_cfg_cap), in that order.
 *
 * Interrupts: with MSI-X enabled, a queue's interrupt goes to the vector the driver chose
 * for it (none if it chose VIRTIO_MSI_NO_VECTOR); otherwise INTA with the ISR status.
 * A vector number beyond the table is refused (reads back NO_VECTOR), never an index.
 * Notifications before DRIVER_OK, for absent queues or at odd offsets are ignored and
 * logged once; queue registers are frozen once DRIVER_OK is set (the core's checks).
 */
#ifndef KITE_VIRTIO_PCI_H
#define KITE_VIRTIO_PCI_H

#include <stdint.h>

#include "hw/pci.h"
#include "virtio/device.h"

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040
#define VIRTIO_PCI_NO_VECTOR 0xffff

/* Capability cfg_type values (4.1.4). */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG 5

/* Where things are. */
#define VIRTIO_PCI_MSIX_BAR 1
#define VIRTIO_PCI_MSIX_BAR_SIZE 0x1000
#define VIRTIO_PCI_MSIX_PBA 0x800
#define VIRTIO_PCI_BAR 4
#define VIRTIO_PCI_BAR_SIZE 0x4000
#define VIRTIO_PCI_COMMON 0x0000
#define VIRTIO_PCI_COMMON_SIZE 0x1000
#define VIRTIO_PCI_ISR 0x1000
#define VIRTIO_PCI_DEVICE 0x2000
#define VIRTIO_PCI_NOTIFY 0x3000
#define VIRTIO_PCI_NOTIFY_MULTIPLIER 4

/* struct virtio_pci_common_cfg (4.1.4.3). */
#define VIRTIO_PCI_COMMON_DFSELECT 0x00
#define VIRTIO_PCI_COMMON_DF 0x04
#define VIRTIO_PCI_COMMON_GFSELECT 0x08
#define VIRTIO_PCI_COMMON_GF 0x0c
#define VIRTIO_PCI_COMMON_MSIX 0x10
#define VIRTIO_PCI_COMMON_NUMQ 0x12
#define VIRTIO_PCI_COMMON_STATUS 0x14
#define VIRTIO_PCI_COMMON_CFGGENERATION 0x15
#define VIRTIO_PCI_COMMON_Q_SELECT 0x16
#define VIRTIO_PCI_COMMON_Q_SIZE 0x18
#define VIRTIO_PCI_COMMON_Q_MSIX 0x1a
#define VIRTIO_PCI_COMMON_Q_ENABLE 0x1c
#define VIRTIO_PCI_COMMON_Q_NOFF 0x1e
#define VIRTIO_PCI_COMMON_Q_DESCLO 0x20
#define VIRTIO_PCI_COMMON_Q_DESCHI 0x24
#define VIRTIO_PCI_COMMON_Q_AVAILLO 0x28
#define VIRTIO_PCI_COMMON_Q_AVAILHI 0x2c
#define VIRTIO_PCI_COMMON_Q_USEDLO 0x30
#define VIRTIO_PCI_COMMON_Q_USEDHI 0x34
#define VIRTIO_PCI_COMMON_Q_NDATA 0x38
#define VIRTIO_PCI_COMMON_Q_RESET 0x3a
#define VIRTIO_PCI_COMMON_END 0x3c

struct virtio_pci;

/* Binds `dev` (already initialised) to a new PCI function. NULL on ENOMEM. */
struct virtio_pci *virtio_pci_new(struct virtio_device *dev);
void virtio_pci_free(struct virtio_pci *t);
/* The PCI function, to plug into a host bridge (hw/pci_host.h). */
struct pci_device *virtio_pci_function(struct virtio_pci *t);

#endif

/*
 * A tiny PCI function for the PCI tests and the fuzz target: BAR0 a 4 KiB 32-bit memory
 * BAR, BAR2 a 16 KiB 64-bit one holding the MSI-X table (8 vectors at 0x2000) and PBA
 * (at 0x3000), BAR4 a 32-byte I/O BAR, INTA, and a 16-byte vendor capability whose bytes
 * 8..11 the guest may write. It records what reaches its callbacks.
 */
#ifndef KITE_TEST_PCI_DEVICE_H
#define KITE_TEST_PCI_DEVICE_H

#include <stdint.h>
#include <string.h>

#include "hw/pci.h"

#define TDEV_VENDOR 0x1234
#define TDEV_DEVICE 0x5678
#define TDEV_BAR0_SIZE 0x1000u
#define TDEV_BAR2_SIZE 0x4000u
#define TDEV_BAR4_SIZE 32u
#define TDEV_MSIX_VECTORS 8u
#define TDEV_TABLE_OFF 0x2000u
#define TDEV_PBA_OFF 0x3000u
#define TDEV_VNDR_LEN 16u

struct tdev {
    struct pci_device *d;
    int vndr_cap, msix_cap;
    unsigned bar_reads, bar_writes;
    int last_bar;
    uint64_t last_off, last_val;
    unsigned last_size;
    unsigned cfg_writes;
    unsigned last_cfg_off, last_cfg_size;
    uint32_t last_cfg_val;
};

/* Reads give back something that names the access: bar << 24 | offset. */
static inline uint64_t tdev_bar_read(void *opaque, int bar, uint64_t offset, unsigned size)
{
    struct tdev *t = opaque;
    t->bar_reads++;
    t->last_bar = bar;
    t->last_off = offset;
    t->last_size = size;
    return ((uint64_t)bar << 24) | offset;
}

static inline void tdev_bar_write(void *opaque, int bar, uint64_t offset, uint64_t value,
                                  unsigned size)
{
    struct tdev *t = opaque;
    t->bar_writes++;
    t->last_bar = bar;
    t->last_off = offset;
    t->last_val = value;
    t->last_size = size;
}

static inline void tdev_config_write(void *opaque, unsigned offset, uint32_t value,
                                     unsigned size)
{
    struct tdev *t = opaque;
    t->cfg_writes++;
    t->last_cfg_off = offset;
    t->last_cfg_val = value;
    t->last_cfg_size = size;
}

/* Returns 0, or the first failing step's negative errno. */
static inline int tdev_init(struct tdev *t, const char *name)
{
    memset(t, 0, sizeof(*t));
    struct pci_device_info info = {
        .name = name, .vendor_id = TDEV_VENDOR, .device_id = TDEV_DEVICE,
        .subsystem_vendor_id = 0xabcd, .subsystem_id = 0x0001, .revision = 2,
        .class_code = 0xff0000, .interrupt_pin = 1, .opaque = t,
        .bar_read = tdev_bar_read, .bar_write = tdev_bar_write,
        .config_write = tdev_config_write,
    };
    t->d = pci_device_new(&info);
    if (!t->d)
        return -1;
    int ret;
    if ((ret = pci_device_add_bar(t->d, 0, PCI_BAR_MEM32, TDEV_BAR0_SIZE)) < 0 ||
        (ret = pci_device_add_bar(t->d, 2, PCI_BAR_MEM64, TDEV_BAR2_SIZE)) < 0 ||
        (ret = pci_device_add_bar(t->d, 4, PCI_BAR_IO, TDEV_BAR4_SIZE)) < 0)
        return ret;
    uint8_t vndr[TDEV_VNDR_LEN] = {0, 0, TDEV_VNDR_LEN, 0x42, 1, 2, 3, 4, 0, 0, 0, 0, 9, 9, 9, 9};
    if ((t->vndr_cap = pci_add_capability(t->d, PCI_CAP_ID_VNDR, vndr, sizeof(vndr))) < 0)
        return t->vndr_cap;
    if ((ret = pci_config_set_wmask(t->d, (unsigned)t->vndr_cap + 8, 4, 0xff)) < 0)
        return ret;
    if ((ret = pci_msix_init(t->d, TDEV_MSIX_VECTORS, 2, TDEV_TABLE_OFF, 2, TDEV_PBA_OFF)) < 0)
        return ret;
    t->msix_cap = t->vndr_cap + 16;
    return 0;
}

#endif

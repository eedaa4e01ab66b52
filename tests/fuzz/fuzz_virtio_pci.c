/*
 * libFuzzer target: a hostile guest against virtio-pci. A virtio-rng sits behind the PCI
 * function (through the framework's config and BAR entry points, as the host bridge calls
 * them); the input is a stream of config-space accesses (the capabilities, the MSI-X
 * capability, the PCI-configuration window), BAR 4 accesses of every width (common
 * configuration, ISR, device config, notifications), MSI-X table writes, RAM edits and a
 * scripted bring-up. Sanitizers catch memory errors; the asserts catch broken invariants:
 * a vector the driver reads back is in the table or NO_VECTOR, and MSIs carry only what
 * the table holds.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "hw/pci.h"
#include "virtio/pci.h"
#include "virtio/rng.h"
#include "fuzz_guest.h"

static uint8_t *ram;
static unsigned msis;

static ssize_t fake_entropy(void *opaque, void *buf, size_t len)
{
    memset(buf, 0x5a, len);
    return (ssize_t)len;
}

static void count_msi(void *opaque, uint64_t addr, uint32_t data)
{
    msis++;
}

static void intx(void *opaque, struct pci_device *d, int level)
{
}

static void remap(void *opaque)
{
}

static void unplug(void *opaque, struct pci_device *d)
{
}

static uint64_t common(struct pci_device *d, unsigned off, unsigned size)
{
    return pci_bar_read(d, VIRTIO_PCI_BAR, VIRTIO_PCI_COMMON + off, size);
}

static void set_common(struct pci_device *d, unsigned off, uint64_t v, unsigned size)
{
    pci_bar_write(d, VIRTIO_PCI_BAR, VIRTIO_PCI_COMMON + off, v, size);
}

/* The honest way up, with ring addresses from the input: reaches the device's real paths. */
static void bring_up(struct pci_device *d, struct input *in)
{
    set_common(d, VIRTIO_PCI_COMMON_STATUS, 0, 1);
    set_common(d, VIRTIO_PCI_COMMON_STATUS, 3, 1);
    set_common(d, VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
    set_common(d, VIRTIO_PCI_COMMON_GF, 1, 4);
    set_common(d, VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
    set_common(d, VIRTIO_PCI_COMMON_GF, (uint32_t)take(in, 4), 4);
    set_common(d, VIRTIO_PCI_COMMON_STATUS, 11, 1);
    set_common(d, VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
    set_common(d, VIRTIO_PCI_COMMON_Q_SIZE, 1u << (take(in, 1) % 10), 2);
    for (unsigned i = 0; i < 3; i++)
        set_common(d, VIRTIO_PCI_COMMON_Q_DESCLO + 8 * i, pick_gpa(in), 8);
    set_common(d, VIRTIO_PCI_COMMON_Q_MSIX, take(in, 2), 2);
    set_common(d, VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
    set_common(d, VIRTIO_PCI_COMMON_STATUS, 15, 1);
}

static void check_vectors(struct pci_device *d)
{
    unsigned n = pci_msix_vectors(d);
    uint16_t v = (uint16_t)common(d, VIRTIO_PCI_COMMON_MSIX, 2);
    assert(v == VIRTIO_PCI_NO_VECTOR || v < n);
    v = (uint16_t)common(d, VIRTIO_PCI_COMMON_Q_MSIX, 2);
    assert(v == VIRTIO_PCI_NO_VECTOR || v < n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ram) {
        ram = aligned_alloc(4096, RAM_SIZE);
        log_threshold = LOG_ERROR;
    }
    struct input in = {data, size};
    fuzz_load_ram(&in, ram);
    struct guest_mem mem = {.base = RAM_BASE, .size = RAM_SIZE, .host = ram};
    struct virtio_rng *rng = virtio_rng_new(&mem, (struct entropy_source){fake_entropy, NULL},
                                            NULL, NULL);
    struct virtio_pci *t = virtio_pci_new(virtio_rng_device(rng));
    struct pci_device *d = virtio_pci_function(t);
    struct pci_bus_link link = {.remap = remap, .set_intx = intx, .unplug = unplug,
                                .msi = {.send = count_msi}};
    pci_device_link(d, &link);

    while (in.left) {
        uint8_t op = (uint8_t)take(&in, 1);
        unsigned w = 1u << (take(&in, 1) % 4);
        switch (op % 8) {
        case 0: /* config read anywhere, any width */
            (void)pci_config_read(d, (unsigned)take(&in, 2) % 0x1100, w > 4 ? 4 : w);
            break;
        case 1: /* config write: mostly the capabilities and the command register */
            pci_config_write(d, (unsigned)take(&in, 2) % 0x110, (uint32_t)take(&in, 4),
                             w > 4 ? 4 : w);
            break;
        case 2: { /* BAR 4 read */
            uint64_t off = take(&in, 2) % VIRTIO_PCI_BAR_SIZE;
            if (off + w <= VIRTIO_PCI_BAR_SIZE)
                (void)pci_bar_read(d, VIRTIO_PCI_BAR, off, w);
            break;
        }
        case 3: { /* BAR 4 write */
            uint64_t off = take(&in, 2) % VIRTIO_PCI_BAR_SIZE;
            uint64_t v = take(&in, 8);
            if (off + w <= VIRTIO_PCI_BAR_SIZE)
                pci_bar_write(d, VIRTIO_PCI_BAR, off, v, w);
            break;
        }
        case 4: /* the MSI-X table and PBA */
            pci_bar_write(d, VIRTIO_PCI_MSIX_BAR, take(&in, 2) % 0x1000 & ~3ULL,
                          take(&in, 4), 4);
            break;
        case 5:
            bring_up(d, &in);
            break;
        case 6:
            fuzz_ram_edit(ram, &in);
            break;
        case 7: /* notify queue 0 the honest way */
            pci_bar_write(d, VIRTIO_PCI_BAR, VIRTIO_PCI_NOTIFY, 0, 2);
            break;
        }
        check_vectors(d);
    }
    virtio_pci_free(t);
    virtio_rng_free(rng);
    return 0;
}

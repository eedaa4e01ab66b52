/*
 * libFuzzer target: a hostile guest against PCI config space and BARs. Two test
 * functions (tests/unit/test_pci_device.h: memory and I/O BARs, MSI-X, a vendor
 * capability) sit behind the ECAM host bridge on kite's MMIO bus, next to a stand-in for
 * RAM. The input is a stream of ECAM and window accesses of every width, BAR
 * programming, interrupts, MSI-X notifications and hot replugs. Sanitizers catch memory
 * errors; the asserts catch broken invariants: a window access only ever reaches a BAR
 * that decodes it, RAM is never shadowed, and every INTx line is exactly the OR of the
 * devices that may drive it.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mmio.h"
#include "hw/pci_host.h"
#include "fuzz_guest.h"
#include "../unit/test_pci_device.h"

#define ECAM 0x30000000ULL
#define PIO 0x03000000ULL
#define PIO_SIZE 0x10000ULL
#define MMIO32 0x40000000ULL
#define MMIO32_SIZE 0x40000000ULL
#define MMIO64 0x400000000ULL
#define MMIO64_SIZE 0x400000000ULL
#define NDEV 2

static int lines[4];
static unsigned ram_hits;

static void set_line(void *opaque, int line, int level)
{
    lines[line - 32] = level;
}

static void msi(void *opaque, uint64_t addr, uint32_t data)
{
}

static uint64_t ram_read(void *opaque, uint64_t off, unsigned size)
{
    ram_hits++;
    return 0;
}

static void ram_write(void *opaque, uint64_t off, uint64_t v, unsigned size)
{
    ram_hits++;
}

struct rig {
    struct mmio_bus bus;
    struct pci_host *h;
    struct tdev t[NDEV];
    int slot[NDEV];
};

static unsigned pick_width(struct input *in)
{
    return 1u << (take(in, 1) % 4);
}

/* An ECAM offset: mostly bus 0 function 0 of a populated slot, sometimes anything. */
static uint64_t pick_cfg(struct rig *r, struct input *in)
{
    uint8_t k = (uint8_t)take(in, 1);
    unsigned reg = (unsigned)take(in, 2) & 0xfff;
    if (k < 200) {
        unsigned dev = k % 3 == 0 ? 0 : (unsigned)r->slot[k % 2];
        if (k % 16 == 1)
            reg &= 0xff;
        return ((uint64_t)dev << 15) | reg;
    }
    return take(in, 4) % PCI_HOST_ECAM_SIZE;
}

/* A bus address near one of a device's BARs (wherever it is now), or anywhere. */
static bool pick_addr(struct rig *r, struct input *in, bool *io, uint64_t *addr)
{
    uint8_t k = (uint8_t)take(in, 1);
    uint64_t off = take(in, 2);
    enum pci_bar_type type;
    uint64_t base, size;
    struct tdev *t = &r->t[k % NDEV];
    if (k < 192 && t->d && pci_bar_decoding(t->d, (k / 2) % PCI_NUM_BARS, &type, &base, &size)) {
        *io = type == PCI_BAR_IO;
        *addr = base + off % (size + 16);
        return true;
    }
    *io = k & 1;
    *addr = *io ? off : (k & 2 ? MMIO64 : MMIO32) + take(in, 4);
    return true;
}

/* A window access reaches a BAR only where that BAR decodes, inside a window. */
static void check_decode(struct rig *r, bool io, uint64_t addr)
{
    int bar;
    uint64_t off;
    struct pci_device *d = pci_host_decode(r->h, io, addr, &bar, &off);
    if (!d)
        return;
    enum pci_bar_type type;
    uint64_t base, size;
    assert(pci_bar_decoding(d, bar, &type, &base, &size));
    assert((type == PCI_BAR_IO) == io);
    assert(base + off == addr && off < size);
    if (io)
        assert(base + size <= PIO_SIZE);
    else
        assert((base >= MMIO32 && base + size <= MMIO32 + MMIO32_SIZE) ||
               (base >= MMIO64 && base + size <= MMIO64 + MMIO64_SIZE));
}

static void check_lines(struct rig *r)
{
    int want[4] = {0};
    for (int i = 0; i < NDEV; i++) {
        struct pci_device *d = r->t[i].d;
        if (!d)
            continue;
        uint32_t cmd = pci_config_get(d, PCI_COMMAND, 2), st = pci_config_get(d, PCI_STATUS, 2);
        if ((st & PCI_STATUS_INTERRUPT) && !(cmd & PCI_COMMAND_INTX_DISABLE) &&
            !pci_msix_enabled(d))
            want[(r->slot[i] + pci_device_irq_pin(d) - 1) % 4] = 1;
    }
    for (int l = 0; l < 4; l++)
        assert(lines[l] == want[l]);
}

static void plug(struct rig *r, int i, int slot)
{
    if (tdev_init(&r->t[i], "fuzz") < 0)
        abort();
    r->slot[i] = pci_host_plug(r->h, r->t[i].d, slot);
    assert(r->slot[i] > 0);
}

/* Linux-style BAR programming, so the fuzzer reaches decoding BARs quickly. */
static void program_bar(struct rig *r, struct input *in)
{
    unsigned i = (unsigned)take(in, 1) % NDEV;
    uint64_t cfg = (uint64_t)r->slot[i] << 15;
    uint8_t which = (uint8_t)take(in, 1) % 3;
    uint64_t a = take(in, 4);
    if (which == 0)
        mmio_bus_write(&r->bus, ECAM + cfg + PCI_BAR0, 4, MMIO32 + (a & 0x3ffff000));
    else if (which == 1) {
        uint64_t v = (take(in, 1) & 1 ? MMIO64 : MMIO32) + (a & 0x3fffc000);
        mmio_bus_write(&r->bus, ECAM + cfg + PCI_BAR0 + 8, 4, (uint32_t)v);
        mmio_bus_write(&r->bus, ECAM + cfg + PCI_BAR0 + 12, 4, (uint32_t)(v >> 32));
    } else {
        mmio_bus_write(&r->bus, ECAM + cfg + PCI_BAR0 + 16, 4, a & 0xffe0);
    }
    mmio_bus_write(&r->bus, ECAM + cfg + PCI_COMMAND, 2, take(in, 1) & 7);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    log_threshold = LOG_ERROR;
    struct input in = {data, size};
    static struct rig r;
    memset(&r, 0, sizeof(r));
    memset(lines, 0, sizeof(lines));
    struct pci_host_config cfg = {.ecam_base = ECAM, .io_base = PIO, .io_size = PIO_SIZE,
                                  .mmio32_base = MMIO32, .mmio32_size = MMIO32_SIZE,
                                  .mmio64_base = MMIO64, .mmio64_size = MMIO64_SIZE,
                                  .msi = {.send = msi}};
    for (int i = 0; i < 4; i++)
        cfg.intx[i] = (struct irq_line){.set = set_line, .line = 32 + i};
    r.h = pci_host_new(&cfg);
    assert(r.h);
    assert(pci_host_map(r.h, &r.bus) == 0);
    struct mmio_region ram = {.name = "ram", .base = RAM_BASE, .size = RAM_SIZE,
                              .read = ram_read, .write = ram_write};
    assert(mmio_bus_add(&r.bus, &ram) == 0);
    plug(&r, 0, 1);
    plug(&r, 1, -1);

    for (unsigned ops = 0; in.left && ops < 4096; ops++) {
        uint8_t op = (uint8_t)take(&in, 1);
        uint64_t v, addr;
        bool io;
        unsigned w;
        struct tdev *t = &r.t[op / 16 % NDEV];
        switch (op % 10) {
        case 0:
            addr = ECAM + pick_cfg(&r, &in);
            w = pick_width(&in);
            v = take(&in, 8);
            if (addr + w <= ECAM + PCI_HOST_ECAM_SIZE)
                mmio_bus_write(&r.bus, addr, w, v);
            break;
        case 1:
            addr = ECAM + pick_cfg(&r, &in);
            w = pick_width(&in);
            if (addr + w <= ECAM + PCI_HOST_ECAM_SIZE)
                mmio_bus_read(&r.bus, addr, w, &v);
            break;
        case 2:
        case 3:
            pick_addr(&r, &in, &io, &addr);
            w = pick_width(&in);
            v = take(&in, 8);
            check_decode(&r, io, addr);
            if (op % 10 == 2)
                mmio_bus_write(&r.bus, (io ? PIO : 0) + addr, w, v);
            else
                mmio_bus_read(&r.bus, (io ? PIO : 0) + addr, w, &v);
            break;
        case 4:
            if (t->d)
                pci_msix_notify(t->d, (unsigned)take(&in, 2) % (TDEV_MSIX_VECTORS + 4));
            break;
        case 5:
            if (t->d)
                pci_set_irq(t->d, (int)take(&in, 1) & 1);
            break;
        case 6:
            program_bar(&r, &in);
            break;
        case 7: {
            unsigned before = ram_hits;
            addr = RAM_BASE + take(&in, 2) % (RAM_SIZE - 8);
            assert(mmio_bus_read(&r.bus, addr, 4, &v) && mmio_bus_write(&r.bus, addr, 8, 0));
            assert(ram_hits == before + 2);
            break;
        }
        case 8: {
            /* Hot unplug and replug (slot numbers are stable: -1 takes the freed one). */
            int i = op / 16 % NDEV;
            int slot = r.slot[i];
            pci_device_free(r.t[i].d);
            r.t[i].d = NULL;
            check_lines(&r);
            plug(&r, i, slot);
            break;
        }
        default:
            /* Device-side config change: the MSI-X/INTx paths see odd states too. */
            if (t->d)
                pci_config_write(t->d, (unsigned)take(&in, 2) % (PCI_CONFIG_SIZE + 8),
                                 (uint32_t)take(&in, 4), (unsigned)take(&in, 1) % 6);
            break;
        }
        check_lines(&r);
    }
    pci_host_free(r.h);
    for (int i = 0; i < NDEV; i++)
        pci_device_free(r.t[i].d);
    return 0;
}

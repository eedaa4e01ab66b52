/*
 * Generic ECAM PCIe host bridge: config space routing, the I/O and memory windows and the
 * decode table that sends window accesses to BARs, INTx sharing, and the device-tree
 * node. The rules are in hw/pci_host.h.
 */
#include "hw/pci_host.h"

#include <errno.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

#define MAX_DECODE (PCI_HOST_SLOTS * PCI_NUM_BARS)

enum { WIN_IO, WIN_MMIO32, WIN_MMIO64, WIN_COUNT };

enum {
    LOGGED_OVERLAP = 1u << 0,
    LOGGED_OUTSIDE = 1u << 1,
    LOGGED_UNCLAIMED = 1u << 2,
    LOGGED_ECAM_SIZE = 1u << 3,
};

/* One decoding BAR; the tables hold them sorted by base, never overlapping. */
struct decode {
    uint64_t base, size;
    struct pci_device *dev;
    int bar;
};

struct window {
    struct pci_host *host;
    bool io;
    uint64_t cpu_base, size, bus_base;
};

struct pci_host {
    struct pci_host_config cfg;
    struct pci_device *slots[PCI_HOST_SLOTS];
    int intx_level[PCI_HOST_SLOTS];
    uint32_t line_slots[4];     /* per INTx line: the slots asserting it, one bit each */
    struct pci_device *bridge;
    struct window win[WIN_COUNT];
    struct decode mem[MAX_DECODE], io[MAX_DECODE];
    int nmem, nio;
    unsigned logged;
};

#define host_log_once(h, bit, ...)                              \
    do {                                                        \
        if (!((h)->logged & (bit))) {                           \
            (h)->logged |= (bit);                               \
            log_warn("pci-host", __VA_ARGS__);                  \
        }                                                       \
    } while (0)

static uint64_t ones(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (1ULL << (8 * size)) - 1;
}

/* [base, base + size) lies inside [wbase, wbase + wsize), computed without overflow. */
static bool inside(uint64_t base, uint64_t size, uint64_t wbase, uint64_t wsize)
{
    return base >= wbase && base - wbase < wsize && size <= wsize - (base - wbase);
}

static bool overlap(const struct decode *a, uint64_t base, uint64_t size)
{
    /* Both ranges lie inside a window, so neither end overflows. */
    return a->base < base + size && base < a->base + a->size;
}

static void sort_by_base(struct decode *t, int n)
{
    for (int i = 1; i < n; i++) {
        struct decode x = t[i];
        int j = i - 1;
        while (j >= 0 && t[j].base > x.base) {
            t[j + 1] = t[j];
            j--;
        }
        t[j + 1] = x;
    }
}

/* Rebuilds both decode tables from every device's BARs, in priority order. */
static void remap(void *opaque)
{
    struct pci_host *h = opaque;
    h->nmem = h->nio = 0;
    for (int s = 0; s < PCI_HOST_SLOTS; s++) {
        struct pci_device *d = h->slots[s];
        if (!d)
            continue;
        for (int b = 0; b < PCI_NUM_BARS; b++) {
            enum pci_bar_type type;
            uint64_t base, size;
            if (!pci_bar_decoding(d, b, &type, &base, &size))
                continue;
            bool io = type == PCI_BAR_IO;
            bool ok = io ? inside(base, size, 0, h->cfg.io_size)
                         : inside(base, size, h->cfg.mmio32_base, h->cfg.mmio32_size) ||
                               inside(base, size, h->cfg.mmio64_base, h->cfg.mmio64_size);
            if (!ok) {
                host_log_once(h, LOGGED_OUTSIDE, "%s BAR%d at 0x%llx (0x%llx bytes) is outside "
                              "the PCI %s windows: it decodes nothing", pci_device_name(d), b,
                              (unsigned long long)base, (unsigned long long)size,
                              io ? "I/O" : "memory");
                continue;
            }
            struct decode *t = io ? h->io : h->mem;
            int *n = io ? &h->nio : &h->nmem;
            bool clash = false;
            for (int i = 0; i < *n && !clash; i++) {
                if (overlap(&t[i], base, size)) {
                    clash = true;
                    host_log_once(h, LOGGED_OVERLAP, "%s BAR%d at 0x%llx overlaps %s BAR%d: "
                                  "the lower slot wins, the other decodes nothing",
                                  pci_device_name(d), b, (unsigned long long)base,
                                  pci_device_name(t[i].dev), t[i].bar);
                }
            }
            if (!clash)
                t[(*n)++] = (struct decode){.base = base, .size = size, .dev = d, .bar = b};
        }
    }
    sort_by_base(h->mem, h->nmem);
    sort_by_base(h->io, h->nio);
}

static const struct decode *lookup(const struct pci_host *h, bool io, uint64_t addr)
{
    const struct decode *t = io ? h->io : h->mem;
    int lo = 0, hi = (io ? h->nio : h->nmem) - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (addr < t[mid].base)
            hi = mid - 1;
        else if (addr - t[mid].base >= t[mid].size)
            lo = mid + 1;
        else
            return &t[mid];
    }
    return NULL;
}

struct pci_device *pci_host_decode(const struct pci_host *h, bool io, uint64_t addr, int *bar,
                                   uint64_t *offset)
{
    const struct decode *e = lookup(h, io, addr);
    if (!e)
        return NULL;
    *bar = e->bar;
    *offset = addr - e->base;
    return e->dev;
}

/* The BAR and offset an access of `size` bytes at window offset `off` goes to, if one
 * BAR holds all of it. */
static struct pci_device *window_target(struct window *w, uint64_t off, unsigned size, int *bar,
                                        uint64_t *boff)
{
    struct pci_host *h = w->host;
    uint64_t addr = w->bus_base + off;
    const struct decode *e = lookup(h, w->io, addr);
    if (e && size <= e->size - (addr - e->base)) {
        *bar = e->bar;
        *boff = addr - e->base;
        return e->dev;
    }
    host_log_once(h, LOGGED_UNCLAIMED, "access to PCI %s address 0x%llx (%u bytes) that no "
                  "BAR claims: all-ones / dropped", w->io ? "I/O" : "memory",
                  (unsigned long long)addr, size);
    return NULL;
}

static uint64_t window_read(void *opaque, uint64_t off, unsigned size)
{
    int bar;
    uint64_t boff;
    struct pci_device *d = window_target(opaque, off, size, &bar, &boff);
    return d ? pci_bar_read(d, bar, boff, size) : ones(size);
}

static void window_write(void *opaque, uint64_t off, uint64_t value, unsigned size)
{
    int bar;
    uint64_t boff;
    struct pci_device *d = window_target(opaque, off, size, &bar, &boff);
    if (d)
        pci_bar_write(d, bar, boff, value, size);
}

/* The function an ECAM offset addresses, or NULL for an absent one. */
static struct pci_device *ecam_function(struct pci_host *h, uint64_t off, unsigned *reg)
{
    unsigned bus = (unsigned)(off >> 20), dev = (unsigned)(off >> 15) & 31,
             fn = (unsigned)(off >> 12) & 7;
    *reg = (unsigned)off & 0xfff;
    if (bus != 0 || fn != 0)
        return NULL;
    return h->slots[dev];
}

static bool ecam_size_ok(struct pci_host *h, unsigned size)
{
    if (size == 1 || size == 2 || size == 4 || size == 8)
        return true;
    host_log_once(h, LOGGED_ECAM_SIZE, "ECAM access of %u bytes: ignored", size);
    return false;
}

static uint64_t ecam_read(void *opaque, uint64_t off, unsigned size)
{
    struct pci_host *h = opaque;
    unsigned reg;
    struct pci_device *d = ecam_function(h, off, &reg);
    if (!ecam_size_ok(h, size))
        return ones(size > 8 ? 8 : size);
    if (!d)
        return ones(size);
    if (size < 8)
        return pci_config_read(d, reg, size);
    uint64_t lo = pci_config_read(d, reg, 4);
    return lo | (uint64_t)pci_config_read(d, reg + 4, 4) << 32;
}

static void ecam_write(void *opaque, uint64_t off, uint64_t value, unsigned size)
{
    struct pci_host *h = opaque;
    unsigned reg;
    struct pci_device *d = ecam_function(h, off, &reg);
    if (!ecam_size_ok(h, size) || !d)
        return;
    if (size < 8) {
        pci_config_write(d, reg, (uint32_t)value, size);
        return;
    }
    pci_config_write(d, reg, (uint32_t)value, 4);
    pci_config_write(d, reg + 4, (uint32_t)(value >> 32), 4);
}

static int slot_of(const struct pci_host *h, const struct pci_device *d)
{
    for (int s = 0; s < PCI_HOST_SLOTS; s++)
        if (h->slots[s] == d)
            return s;
    return -1;
}

static int intx_route(int slot, unsigned pin)
{
    return (int)((unsigned)slot + pin - 1) % 4;
}

/* Records slot s's level on `line` and drives the line with the OR of its slots (kept as a
 * mask: this runs for every INTx interrupt and ISR read). */
static void update_line(struct pci_host *h, int line, int s, int level)
{
    if (level)
        h->line_slots[line] |= 1u << s;
    else
        h->line_slots[line] &= ~(1u << s);
    irq_set(&h->cfg.intx[line], h->line_slots[line] != 0);
}

static void set_intx(void *opaque, struct pci_device *d, int level)
{
    struct pci_host *h = opaque;
    int s = slot_of(h, d);
    unsigned pin = pci_device_irq_pin(d);
    if (s < 0 || pin < 1 || pin > 4)
        return;
    h->intx_level[s] = level != 0;
    update_line(h, intx_route(s, pin), s, h->intx_level[s]);
}

static void unplug(void *opaque, struct pci_device *d)
{
    struct pci_host *h = opaque;
    int s = slot_of(h, d);
    if (s < 0)
        return;
    int was = h->intx_level[s];
    h->slots[s] = NULL;
    h->intx_level[s] = 0;
    pci_device_unlink(d);
    if (was)
        update_line(h, intx_route(s, pci_device_irq_pin(d)), s, 0);
    remap(h);
}

static int link_device(struct pci_host *h, struct pci_device *d, int slot)
{
    struct pci_bus_link link = {.opaque = h, .remap = remap, .set_intx = set_intx,
                                .unplug = unplug, .msi = h->cfg.msi};
    if (pci_device_link(d, &link) < 0)
        return -EBUSY;
    h->slots[slot] = d;
    remap(h);
    return slot;
}

struct pci_host *pci_host_new(const struct pci_host_config *cfg)
{
    if (!cfg || !cfg->io_size || !cfg->mmio32_size || !cfg->mmio64_size ||
        cfg->io_base + cfg->io_size < cfg->io_base ||
        cfg->mmio32_base + cfg->mmio32_size < cfg->mmio32_base ||
        cfg->mmio32_base + cfg->mmio32_size > (1ULL << 32) ||
        cfg->mmio64_base + cfg->mmio64_size < cfg->mmio64_base ||
        cfg->ecam_base + PCI_HOST_ECAM_SIZE < cfg->ecam_base)
        return NULL;
    struct pci_host *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->cfg = *cfg;
    struct pci_device_info info = {.name = "pci-host-bridge",
                                   .vendor_id = PCI_HOST_BRIDGE_VENDOR,
                                   .device_id = PCI_HOST_BRIDGE_DEVICE,
                                   .subsystem_vendor_id = 0x1af4, .subsystem_id = 0x1100,
                                   .class_code = 0x060000};
    h->bridge = pci_device_new(&info);
    if (!h->bridge) {
        free(h);
        return NULL;
    }
    (void)link_device(h, h->bridge, 0);    /* a new device is never linked */
    h->win[WIN_IO] = (struct window){.host = h, .io = true, .cpu_base = cfg->io_base,
                                     .size = cfg->io_size, .bus_base = 0};
    h->win[WIN_MMIO32] = (struct window){.host = h, .cpu_base = cfg->mmio32_base,
                                         .size = cfg->mmio32_size,
                                         .bus_base = cfg->mmio32_base};
    h->win[WIN_MMIO64] = (struct window){.host = h, .cpu_base = cfg->mmio64_base,
                                         .size = cfg->mmio64_size,
                                         .bus_base = cfg->mmio64_base};
    return h;
}

void pci_host_free(struct pci_host *h)
{
    if (!h)
        return;
    for (int s = 0; s < PCI_HOST_SLOTS; s++)
        if (h->slots[s])
            pci_device_unlink(h->slots[s]);
    pci_device_free(h->bridge);
    free(h);
}

int pci_host_plug(struct pci_host *h, struct pci_device *d, int slot)
{
    if (!d || slot_of(h, d) >= 0)
        return -EBUSY;
    if (slot < 0) {
        for (slot = PCI_HOST_FIRST_SLOT; slot < PCI_HOST_SLOTS && h->slots[slot]; slot++)
            ;
        if (slot == PCI_HOST_SLOTS)
            return -ENOSPC;
    } else if (slot < PCI_HOST_FIRST_SLOT || slot >= PCI_HOST_SLOTS) {
        return -EINVAL;
    } else if (h->slots[slot]) {
        return -EBUSY;
    }
    return link_device(h, d, slot);
}

struct pci_device *pci_host_device(const struct pci_host *h, int slot)
{
    return slot >= 0 && slot < PCI_HOST_SLOTS ? h->slots[slot] : NULL;
}

int pci_host_map(struct pci_host *h, struct mmio_bus *bus)
{
    static const char *const names[WIN_COUNT] = {"pci-io", "pci-mmio32", "pci-mmio64"};
    struct mmio_region ecam = {.name = "pci-ecam", .base = h->cfg.ecam_base,
                               .size = PCI_HOST_ECAM_SIZE, .opaque = h, .read = ecam_read,
                               .write = ecam_write};
    int ret = mmio_bus_add(bus, &ecam);
    for (int i = 0; i < WIN_COUNT && ret == 0; i++) {
        struct mmio_region r = {.name = names[i], .base = h->win[i].cpu_base,
                                .size = h->win[i].size, .opaque = &h->win[i],
                                .read = window_read, .write = window_write};
        ret = mmio_bus_add(bus, &r);
    }
    return ret;
}

/* The three address cells of a PCI bus address: space code, then the 64-bit address. */
static void put_range(fdt32_t *c, uint32_t space, uint64_t bus, uint64_t cpu, uint64_t size)
{
    c[0] = cpu_to_fdt32(space);
    c[1] = cpu_to_fdt32((uint32_t)(bus >> 32));
    c[2] = cpu_to_fdt32((uint32_t)bus);
    c[3] = cpu_to_fdt32((uint32_t)(cpu >> 32));
    c[4] = cpu_to_fdt32((uint32_t)cpu);
    c[5] = cpu_to_fdt32((uint32_t)(size >> 32));
    c[6] = cpu_to_fdt32((uint32_t)size);
}

int pci_host_fdt(void *fdt, const struct pci_host_config *cfg, uint32_t intc_phandle,
                 unsigned intc_cells, uint32_t msi_phandle)
{
    if (intc_cells != 1 && intc_cells != 2)
        return -FDT_ERR_BADVALUE;
    char name[32];
    snprintf(name, sizeof(name), "pci@%llx", (unsigned long long)cfg->ecam_base);
    /* phys.hi space codes: 01 I/O, 10 32-bit memory, 11 64-bit memory. */
    fdt32_t ranges[21];
    put_range(ranges, 0x01000000, 0, cfg->io_base, cfg->io_size);
    put_range(ranges + 7, 0x02000000, cfg->mmio32_base, cfg->mmio32_base, cfg->mmio32_size);
    put_range(ranges + 14, 0x03000000, cfg->mmio64_base, cfg->mmio64_base, cfg->mmio64_size);
    /* Slots repeat every 4 (mask 0x1800 on the device number bits of phys.hi). */
    fdt32_t map[4 * 4 * 7];
    int n = 0;
    for (int slot = 0; slot < 4; slot++) {
        for (unsigned pin = 1; pin <= 4; pin++) {
            map[n++] = cpu_to_fdt32((uint32_t)slot << 11);
            map[n++] = 0;
            map[n++] = 0;
            map[n++] = cpu_to_fdt32(pin);
            map[n++] = cpu_to_fdt32(intc_phandle);
            map[n++] = cpu_to_fdt32((uint32_t)cfg->intx[intx_route(slot, pin)].line);
            if (intc_cells == 2)
                map[n++] = cpu_to_fdt32(4);     /* IRQ_TYPE_LEVEL_HIGH */
        }
    }
    const fdt32_t map_mask[4] = {cpu_to_fdt32(0x1800), 0, 0, cpu_to_fdt32(7)};
    const fdt32_t bus_range[2] = {0, cpu_to_fdt32(0xff)};
    const fdt32_t reg[4] = {cpu_to_fdt32((uint32_t)(cfg->ecam_base >> 32)),
                            cpu_to_fdt32((uint32_t)cfg->ecam_base),
                            cpu_to_fdt32((uint32_t)(PCI_HOST_ECAM_SIZE >> 32)),
                            cpu_to_fdt32((uint32_t)PCI_HOST_ECAM_SIZE)};
    int rc = fdt_begin_node(fdt, name);
    if (!rc) rc = fdt_property_string(fdt, "compatible", "pci-host-ecam-generic");
    if (!rc) rc = fdt_property_string(fdt, "device_type", "pci");
    if (!rc) rc = fdt_property_u32(fdt, "#address-cells", 3);
    if (!rc) rc = fdt_property_u32(fdt, "#size-cells", 2);
    if (!rc) rc = fdt_property_u32(fdt, "#interrupt-cells", 1);
    if (!rc) rc = fdt_property(fdt, "bus-range", bus_range, sizeof(bus_range));
    if (!rc) rc = fdt_property_u32(fdt, "linux,pci-domain", 0);
    if (!rc) rc = fdt_property(fdt, "dma-coherent", NULL, 0);
    if (!rc) rc = fdt_property(fdt, "reg", reg, sizeof(reg));
    if (!rc) rc = fdt_property(fdt, "ranges", ranges, sizeof(ranges));
    if (!rc) rc = fdt_property(fdt, "interrupt-map", map, (int)(n * sizeof(map[0])));
    if (!rc) rc = fdt_property(fdt, "interrupt-map-mask", map_mask, sizeof(map_mask));
    if (!rc && msi_phandle) rc = fdt_property_u32(fdt, "msi-parent", msi_phandle);
    if (!rc) rc = fdt_end_node(fdt);
    return rc;
}

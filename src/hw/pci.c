/*
 * PCI device framework: config space with per-byte write and write-1-to-clear masks, BARs,
 * the capability list, INTx gating and MSI-X. The rules are in hw/pci.h.
 */
#include "hw/pci.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

#define MAX_CAPS ((PCI_CONFIG_STD_SIZE - 0x40) / 4)
#define CAP_START 0x40u

/* What a device has already complained about: each kind once per device. */
enum {
    LOGGED_UNALIGNED = 1u << 0,
    LOGGED_PAST_END = 1u << 1,
    LOGGED_BAD_SIZE = 1u << 2,
    LOGGED_BAR_ACCESS = 1u << 3,
    LOGGED_MSIX_ODD = 1u << 4,
    LOGGED_PBA_WRITE = 1u << 5,
    LOGGED_VECTOR = 1u << 6,
    LOGGED_NO_SINK = 1u << 7,
};

struct pci_bar {
    enum pci_bar_type type;     /* PCI_BAR_NONE also for the upper half of a 64-bit BAR */
    uint64_t size;
    bool upper;                 /* this slot is the high dword of the BAR below it */
    bool half;                  /* 64-bit: low dword written, high dword not yet */
};

struct pci_cap {
    unsigned offset, len;
};

struct pci_device {
    struct pci_device_info info;
    uint8_t config[PCI_CONFIG_SIZE];
    uint8_t wmask[PCI_CONFIG_SIZE];
    uint8_t w1cmask[PCI_CONFIG_SIZE];
    struct pci_bar bars[PCI_NUM_BARS];
    struct pci_cap caps[MAX_CAPS];
    unsigned ncaps;
    unsigned cap_end;           /* where the next capability may start */

    int intx_level;             /* what the device says */
    int intx_out;               /* what the host bridge was last told */

    unsigned msix_n;            /* 0 = no MSI-X */
    unsigned msix_cap;
    int msix_table_bar, msix_pba_bar;
    uint64_t msix_table_off, msix_pba_off;
    uint8_t *msix_table;        /* msix_n entries of 16 bytes */
    uint8_t *msix_pba;          /* one bit per vector, in 8-byte words */

    bool linked;
    struct pci_bus_link link;
    unsigned logged;
};

#define dev_log_once(d, bit, ...)                               \
    do {                                                        \
        if (!((d)->logged & (bit))) {                           \
            (d)->logged |= (bit);                               \
            log_warn("pci", __VA_ARGS__);                       \
        }                                                       \
    } while (0)

static uint64_t ones(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (1ULL << (8 * size)) - 1;
}

static uint64_t le_get(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void le_put(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void set_wmask(struct pci_device *d, unsigned off, uint64_t mask, unsigned n)
{
    le_put(d->wmask + off, mask, n);
}

struct pci_device *pci_device_new(const struct pci_device_info *info)
{
    if (!info || info->interrupt_pin > 4)
        return NULL;
    struct pci_device *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->info = *info;
    if (!d->info.name)
        d->info.name = "pci-device";
    d->cap_end = CAP_START;
    uint8_t *c = d->config;
    le_put(c + PCI_VENDOR_ID, info->vendor_id, 2);
    le_put(c + PCI_DEVICE_ID, info->device_id, 2);
    c[PCI_REVISION_ID] = info->revision;
    le_put(c + PCI_CLASS_PROG, info->class_code & 0xffffff, 3);
    le_put(c + PCI_SUBSYSTEM_VENDOR_ID, info->subsystem_vendor_id, 2);
    le_put(c + PCI_SUBSYSTEM_ID, info->subsystem_id, 2);
    c[PCI_INTERRUPT_PIN] = info->interrupt_pin;
    set_wmask(d, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
                              PCI_COMMAND_PARITY | PCI_COMMAND_SERR |
                              PCI_COMMAND_INTX_DISABLE, 2);
    le_put(d->w1cmask + PCI_STATUS, PCI_STATUS_W1C, 2);
    d->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
    d->wmask[PCI_INTERRUPT_LINE] = 0xff;
    return d;
}

void pci_device_free(struct pci_device *d)
{
    if (!d)
        return;
    if (d->linked && d->link.unplug)
        d->link.unplug(d->link.opaque, d);
    free(d->msix_table);
    free(d->msix_pba);
    free(d);
}

const char *pci_device_name(const struct pci_device *d)
{
    return d->info.name;
}

uint8_t pci_device_irq_pin(const struct pci_device *d)
{
    return d->info.interrupt_pin;
}

int pci_device_link(struct pci_device *d, const struct pci_bus_link *link)
{
    if (d->linked)
        return -EBUSY;
    d->link = *link;
    d->linked = true;
    d->intx_out = 0;
    return 0;
}

void pci_device_unlink(struct pci_device *d)
{
    d->linked = false;
    d->link = (struct pci_bus_link){0};
}

static bool is_pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

int pci_device_add_bar(struct pci_device *d, int index, enum pci_bar_type type, uint64_t size)
{
    bool wide = type == PCI_BAR_MEM64 || type == PCI_BAR_MEM64_PREFETCH;
    if (index < 0 || index >= PCI_NUM_BARS || (wide && index + 1 >= PCI_NUM_BARS) ||
        !is_pow2(size))
        return -EINVAL;
    switch (type) {
    case PCI_BAR_MEM32:
        if (size < 16 || size > (1ULL << 31))
            return -EINVAL;
        break;
    case PCI_BAR_MEM64:
    case PCI_BAR_MEM64_PREFETCH:
        if (size < 16 || size > (1ULL << 63))
            return -EINVAL;
        break;
    case PCI_BAR_IO:
        if (size < 4 || size > 256)
            return -EINVAL;
        break;
    default:
        return -EINVAL;
    }
    if (d->bars[index].type != PCI_BAR_NONE || d->bars[index].upper ||
        (wide && (d->bars[index + 1].type != PCI_BAR_NONE || d->bars[index + 1].upper)))
        return -EBUSY;
    d->bars[index] = (struct pci_bar){.type = type, .size = size};
    unsigned off = PCI_BAR0 + 4u * (unsigned)index;
    if (type == PCI_BAR_IO) {
        le_put(d->config + off, PCI_BAR_SPACE_IO, 4);
        set_wmask(d, off, ~(size - 1) & 0xfffffffcu, 4);
    } else if (type == PCI_BAR_MEM32) {
        set_wmask(d, off, ~(size - 1) & 0xfffffff0u, 4);
    } else {
        uint32_t flags = PCI_BAR_MEM_TYPE_64 |
                         (type == PCI_BAR_MEM64_PREFETCH ? PCI_BAR_MEM_PREFETCH : 0);
        le_put(d->config + off, flags, 4);
        uint64_t mask = ~(size - 1) & ~0xfULL;
        set_wmask(d, off, mask & 0xffffffffu, 4);
        set_wmask(d, off + 4, mask >> 32, 4);
        d->bars[index + 1].upper = true;
    }
    return 0;
}

int pci_add_capability(struct pci_device *d, uint8_t id, const void *data, unsigned len)
{
    if (!data || len < 2 || len > PCI_CONFIG_STD_SIZE - CAP_START)
        return -EINVAL;
    unsigned off = d->cap_end;
    if (off + len > PCI_CONFIG_STD_SIZE || d->ncaps >= MAX_CAPS)
        return -ENOSPC;
    memcpy(d->config + off, data, len);
    d->config[off] = id;
    d->config[off + 1] = 0;
    if (d->ncaps)
        d->config[d->caps[d->ncaps - 1].offset + 1] = (uint8_t)off;
    else
        d->config[PCI_CAPABILITY_LIST] = (uint8_t)off;
    d->config[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
    d->caps[d->ncaps++] = (struct pci_cap){.offset = off, .len = len};
    d->cap_end = (off + len + 3) & ~3u;
    return (int)off;
}

int pci_config_set_wmask(struct pci_device *d, unsigned offset, unsigned len, uint8_t mask)
{
    for (unsigned i = 0; i < d->ncaps; i++) {
        const struct pci_cap *c = &d->caps[i];
        /* The header (ID, next) stays read-only: the list is the framework's. */
        if (offset >= c->offset + 2 && len <= c->len &&
            offset - c->offset <= c->len - len) {
            memset(d->wmask + offset, mask, len);
            return 0;
        }
    }
    return -EINVAL;
}

uint32_t pci_config_get(const struct pci_device *d, unsigned offset, unsigned size)
{
    if ((size != 1 && size != 2 && size != 4) || offset >= PCI_CONFIG_SIZE ||
        size > PCI_CONFIG_SIZE - offset)
        return 0;
    return (uint32_t)le_get(d->config + offset, size);
}

void pci_config_set(struct pci_device *d, unsigned offset, uint32_t value, unsigned size)
{
    if ((size != 1 && size != 2 && size != 4) || offset >= PCI_CONFIG_SIZE ||
        size > PCI_CONFIG_SIZE - offset)
        return;
    le_put(d->config + offset, value, size);
}

static uint16_t command(const struct pci_device *d)
{
    return (uint16_t)le_get(d->config + PCI_COMMAND, 2);
}

bool pci_msix_enabled(const struct pci_device *d)
{
    return d->msix_n &&
           (le_get(d->config + d->msix_cap + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_ENABLE);
}

static bool msix_function_masked(const struct pci_device *d)
{
    return le_get(d->config + d->msix_cap + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_MASKALL;
}

unsigned pci_msix_vectors(const struct pci_device *d)
{
    return d->msix_n;
}

/* INTx reaches the bridge only while the guest allows it and MSI-X is off. */
static void update_intx(struct pci_device *d)
{
    if (d->intx_level)
        d->config[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
    else
        d->config[PCI_STATUS] &= (uint8_t)~PCI_STATUS_INTERRUPT;
    int out = d->intx_level && !(command(d) & PCI_COMMAND_INTX_DISABLE) &&
              !pci_msix_enabled(d);
    if (out != d->intx_out) {
        d->intx_out = out;
        if (d->linked && d->link.set_intx)
            d->link.set_intx(d->link.opaque, d, out);
    }
}

void pci_set_irq(struct pci_device *d, int level)
{
    if (!d->info.interrupt_pin)
        return;
    d->intx_level = level != 0;
    update_intx(d);
}

static bool msix_vector_masked(const struct pci_device *d, unsigned v)
{
    return d->msix_table[v * PCI_MSIX_ENTRY_SIZE + 12] & PCI_MSIX_ENTRY_CTRL_MASKBIT;
}

static void msix_send(struct pci_device *d, unsigned v)
{
    const uint8_t *e = d->msix_table + (size_t)v * PCI_MSIX_ENTRY_SIZE;
    if (!d->linked || !msi_sink_present(&d->link.msi)) {
        dev_log_once(d, LOGGED_NO_SINK, "%s: MSI-X message with no MSI controller: dropped",
                     d->info.name);
        return;
    }
    msi_send(&d->link.msi, le_get(e, 8), (uint32_t)le_get(e + 8, 4));
}

static void msix_deliver_pending(struct pci_device *d)
{
    if (!pci_msix_enabled(d) || msix_function_masked(d))
        return;
    for (unsigned v = 0; v < d->msix_n; v++) {
        uint8_t bit = (uint8_t)(1u << (v % 8));
        if ((d->msix_pba[v / 8] & bit) && !msix_vector_masked(d, v)) {
            d->msix_pba[v / 8] &= (uint8_t)~bit;
            msix_send(d, v);
        }
    }
}

int pci_msix_notify(struct pci_device *d, unsigned vector)
{
    if (vector >= d->msix_n) {
        dev_log_once(d, LOGGED_VECTOR, "%s: MSI-X vector %u beyond the table of %u: ignored",
                     d->info.name, vector, d->msix_n);
        return -EINVAL;
    }
    if (!pci_msix_enabled(d))
        return -ENODEV;
    if (msix_function_masked(d) || msix_vector_masked(d, vector)) {
        d->msix_pba[vector / 8] |= (uint8_t)(1u << (vector % 8));
        return PCI_MSIX_PENDING;
    }
    msix_send(d, vector);
    return PCI_MSIX_SENT;
}

static bool is_memory_bar(const struct pci_device *d, int bar)
{
    return bar >= 0 && bar < PCI_NUM_BARS && d->bars[bar].type != PCI_BAR_NONE &&
           d->bars[bar].type != PCI_BAR_IO;
}

static uint64_t pba_bytes(unsigned n)
{
    return ((uint64_t)n + 63) / 64 * 8;
}

/* [a, a + alen) and [b, b + blen) share a byte (no overflow: all values are below 2^63). */
static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

int pci_msix_init(struct pci_device *d, unsigned nvectors, int table_bar, uint32_t table_offset,
                  int pba_bar, uint32_t pba_offset)
{
    if (d->msix_n)
        return -EBUSY;
    if (nvectors < 1 || nvectors > PCI_MSIX_MAX_VECTORS || !is_memory_bar(d, table_bar) ||
        !is_memory_bar(d, pba_bar) || (table_offset & 7) || (pba_offset & 7))
        return -EINVAL;
    uint64_t tlen = (uint64_t)nvectors * PCI_MSIX_ENTRY_SIZE, plen = pba_bytes(nvectors);
    if (table_offset > d->bars[table_bar].size || tlen > d->bars[table_bar].size - table_offset ||
        pba_offset > d->bars[pba_bar].size || plen > d->bars[pba_bar].size - pba_offset)
        return -EINVAL;
    if (table_bar == pba_bar && ranges_overlap(table_offset, tlen, pba_offset, plen))
        return -EINVAL;
    uint8_t cap[PCI_MSIX_CAP_SIZE] = {0};
    le_put(cap + PCI_MSIX_FLAGS, nvectors - 1, 2);
    le_put(cap + PCI_MSIX_TABLE, table_offset | (uint32_t)table_bar, 4);
    le_put(cap + PCI_MSIX_PBA, pba_offset | (uint32_t)pba_bar, 4);
    uint8_t *table = calloc(nvectors, PCI_MSIX_ENTRY_SIZE);
    uint8_t *pba = calloc(1, plen);
    if (!table || !pba) {
        free(table);
        free(pba);
        return -ENOMEM;
    }
    int off = pci_add_capability(d, PCI_CAP_ID_MSIX, cap, sizeof(cap));
    if (off < 0) {
        free(table);
        free(pba);
        return off;
    }
    /* Enable and function mask are the guest's; the table size is not. */
    d->wmask[off + PCI_MSIX_FLAGS + 1] = (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8;
    for (unsigned v = 0; v < nvectors; v++)
        table[v * PCI_MSIX_ENTRY_SIZE + 12] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
    d->msix_table = table;
    d->msix_pba = pba;
    d->msix_n = nvectors;
    d->msix_cap = (unsigned)off;
    d->msix_table_bar = table_bar;
    d->msix_table_off = table_offset;
    d->msix_pba_bar = pba_bar;
    d->msix_pba_off = pba_offset;
    return 0;
}

bool pci_bar_decoding(const struct pci_device *d, int bar, enum pci_bar_type *type,
                      uint64_t *base, uint64_t *size)
{
    if (bar < 0 || bar >= PCI_NUM_BARS)
        return false;
    const struct pci_bar *b = &d->bars[bar];
    unsigned off = PCI_BAR0 + 4u * (unsigned)bar;
    uint64_t addr;
    switch (b->type) {
    case PCI_BAR_IO:
        if (!(command(d) & PCI_COMMAND_IO))
            return false;
        addr = le_get(d->config + off, 4) & ~0x3ULL;
        break;
    case PCI_BAR_MEM32:
        if (!(command(d) & PCI_COMMAND_MEMORY))
            return false;
        addr = le_get(d->config + off, 4) & ~0xfULL;
        break;
    case PCI_BAR_MEM64:
    case PCI_BAR_MEM64_PREFETCH:
        if (!(command(d) & PCI_COMMAND_MEMORY) || b->half)
            return false;
        addr = le_get(d->config + off, 8) & ~0xfULL;
        break;
    default:
        return false;
    }
    *type = b->type;
    *base = addr;
    *size = b->size;
    return true;
}

/* The BAR slot a config byte belongs to, or -1. */
static int bar_slot_of(unsigned offset)
{
    if (offset < PCI_BAR0 || offset >= PCI_BAR0 + 4 * PCI_NUM_BARS)
        return -1;
    return (int)(offset - PCI_BAR0) / 4;
}

static bool size_ok(unsigned size)
{
    return size >= 1 && size <= 4;
}

uint32_t pci_config_read(struct pci_device *d, unsigned offset, unsigned size)
{
    if (!size_ok(size)) {
        dev_log_once(d, LOGGED_BAD_SIZE, "%s: config read of %u bytes: all-ones",
                     d->info.name, size);
        return 0xffffffffu;
    }
    if (offset & (size - 1))
        dev_log_once(d, LOGGED_UNALIGNED, "%s: unaligned config access at 0x%x (%u bytes)",
                     d->info.name, offset, size);
    if (offset >= PCI_CONFIG_SIZE || size > PCI_CONFIG_SIZE - offset) {
        dev_log_once(d, LOGGED_PAST_END, "%s: config access at 0x%x runs past 4 KiB",
                     d->info.name, offset);
        uint32_t v = 0;
        for (unsigned i = 0; i < size; i++) {
            unsigned o = offset + i;
            uint32_t b = o < PCI_CONFIG_SIZE && o >= offset ? d->config[o] : 0xff;
            v |= b << (8 * i);
        }
        return v;
    }
    uint32_t v = (uint32_t)le_get(d->config + offset, size);
    if (d->info.config_read)
        v = d->info.config_read(d->info.opaque, offset, size, v) & (uint32_t)ones(size);
    return v;
}

void pci_config_write(struct pci_device *d, unsigned offset, uint32_t value, unsigned size)
{
    if (!size_ok(size)) {
        dev_log_once(d, LOGGED_BAD_SIZE, "%s: config write of %u bytes: dropped",
                     d->info.name, size);
        return;
    }
    if (offset & (size - 1))
        dev_log_once(d, LOGGED_UNALIGNED, "%s: unaligned config access at 0x%x (%u bytes)",
                     d->info.name, offset, size);
    if (offset >= PCI_CONFIG_SIZE)
        return;
    if (size > PCI_CONFIG_SIZE - offset) {
        dev_log_once(d, LOGGED_PAST_END, "%s: config access at 0x%x runs past 4 KiB",
                     d->info.name, offset);
        size = PCI_CONFIG_SIZE - offset;
    }
    uint16_t old_cmd = command(d);
    uint16_t old_msix = d->msix_n ? (uint16_t)le_get(d->config + d->msix_cap + PCI_MSIX_FLAGS, 2)
                                  : 0;
    bool bars_changed = false;
    for (unsigned i = 0; i < size; i++) {
        unsigned o = offset + i;
        uint8_t b = (uint8_t)(value >> (8 * i));
        uint8_t nv = (uint8_t)((d->config[o] & ~d->wmask[o]) | (b & d->wmask[o]));
        nv &= (uint8_t)~(b & d->w1cmask[o]);
        d->config[o] = nv;
        int slot = bar_slot_of(o);
        if (slot < 0)
            continue;
        bars_changed = true;
        /* Sizing or moving a 64-bit BAR takes two dword writes: between them the BAR
         * points nowhere meaningful and must not decode. */
        if (d->bars[slot].upper)
            d->bars[slot - 1].half = false;
        else if (d->bars[slot].type == PCI_BAR_MEM64 ||
                 d->bars[slot].type == PCI_BAR_MEM64_PREFETCH)
            d->bars[slot].half = true;
    }
    uint16_t cmd = command(d);
    if ((cmd ^ old_cmd) & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY))
        bars_changed = true;
    if (bars_changed && d->linked && d->link.remap)
        d->link.remap(d->link.opaque);
    uint16_t msix = d->msix_n ? (uint16_t)le_get(d->config + d->msix_cap + PCI_MSIX_FLAGS, 2)
                              : 0;
    if (msix != old_msix)
        msix_deliver_pending(d);
    if (((cmd ^ old_cmd) & PCI_COMMAND_INTX_DISABLE) || msix != old_msix)
        update_intx(d);
    if (d->info.config_write)
        d->info.config_write(d->info.opaque, offset, value & (uint32_t)ones(size), size);
}

/* The bytes of the MSI-X table's vector control dword the guest may set. */
static uint8_t table_wmask(uint64_t byte)
{
    unsigned in_entry = (unsigned)(byte % PCI_MSIX_ENTRY_SIZE);
    if (in_entry < 12)
        return 0xff;
    return in_entry == 12 ? PCI_MSIX_ENTRY_CTRL_MASKBIT : 0;
}

/*
 * The MSI-X structures' share of a BAR access. Returns true when the access touches the
 * table or the PBA (then it is served here, whole or not at all).
 */
static bool msix_access(struct pci_device *d, int bar, uint64_t offset, unsigned size,
                        bool write, uint64_t *value)
{
    if (!d->msix_n)
        return false;
    uint64_t tlen = (uint64_t)d->msix_n * PCI_MSIX_ENTRY_SIZE, plen = pba_bytes(d->msix_n);
    bool in_table = bar == d->msix_table_bar &&
                    ranges_overlap(offset, size, d->msix_table_off, tlen);
    bool in_pba = bar == d->msix_pba_bar && ranges_overlap(offset, size, d->msix_pba_off, plen);
    if (!in_table && !in_pba)
        return false;
    uint64_t start = in_table ? d->msix_table_off : d->msix_pba_off;
    uint64_t len = in_table ? tlen : plen;
    uint8_t *mem = in_table ? d->msix_table : d->msix_pba;
    bool inside = offset >= start && offset - start + size <= len;
    if (!write) {
        *value = inside ? le_get(mem + (offset - start), size) : ones(size);
        if (!inside)
            dev_log_once(d, LOGGED_MSIX_ODD, "%s: MSI-X access at BAR%d+0x%llx straddles the "
                         "table or PBA", d->info.name, bar, (unsigned long long)offset);
        return true;
    }
    if (in_pba) {
        dev_log_once(d, LOGGED_PBA_WRITE, "%s: write to the read-only MSI-X PBA: dropped",
                     d->info.name);
        return true;
    }
    /* The spec allows aligned dword and qword accesses only. */
    if (!inside || (size != 4 && size != 8) || (offset - start) % size) {
        dev_log_once(d, LOGGED_MSIX_ODD, "%s: MSI-X table write of %u bytes at BAR%d+0x%llx: "
                     "dropped", d->info.name, size, bar, (unsigned long long)offset);
        return true;
    }
    uint64_t rel = offset - start;
    for (unsigned i = 0; i < size; i++) {
        uint8_t m = table_wmask(rel + i);
        uint8_t *p = &mem[rel + i];
        *p = (uint8_t)((*p & ~m) | ((uint8_t)(*value >> (8 * i)) & m));
    }
    msix_deliver_pending(d);
    return true;
}

static bool bar_access_ok(struct pci_device *d, int bar, uint64_t offset, unsigned size)
{
    bool ok = bar >= 0 && bar < PCI_NUM_BARS && d->bars[bar].type != PCI_BAR_NONE &&
              (size == 1 || size == 2 || size == 4 || size == 8) &&
              offset < d->bars[bar].size && size <= d->bars[bar].size - offset;
    if (!ok)
        dev_log_once(d, LOGGED_BAR_ACCESS, "%s: bad BAR access (BAR%d+0x%llx, %u bytes)",
                     d->info.name, bar, (unsigned long long)offset, size);
    return ok;
}

uint64_t pci_bar_read(struct pci_device *d, int bar, uint64_t offset, unsigned size)
{
    if (!bar_access_ok(d, bar, offset, size))
        return ones(size > 8 ? 8 : size);
    uint64_t v;
    if (msix_access(d, bar, offset, size, false, &v))
        return v;
    return d->info.bar_read ? d->info.bar_read(d->info.opaque, bar, offset, size) & ones(size)
                            : 0;
}

void pci_bar_write(struct pci_device *d, int bar, uint64_t offset, uint64_t value,
                   unsigned size)
{
    if (!bar_access_ok(d, bar, offset, size))
        return;
    if (msix_access(d, bar, offset, size, true, &value))
        return;
    if (d->info.bar_write)
        d->info.bar_write(d->info.opaque, bar, offset, value & ones(size), size);
}
